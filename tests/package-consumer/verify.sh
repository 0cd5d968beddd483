#!/usr/bin/env bash
# Packs the SDK, checks the package carries the SQL (database/*.sql at the path the README names),
# builds a fresh console app that references the .nupkg from a local folder source and runs it
# against LocalStack (it must receive a realtime event), then follows the README's "Your first app"
# step by step (new console project, the package from the folder feed, the README's Program.cs) and
# runs it: it must exit 0. Run by .ci/run.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
work="$(mktemp -d)"
first="$(mktemp -d)" # the first app: outside $work, whose nuget.config would apply to it too
stack_pid=""
cleanup() {
  if [ -n "$stack_pid" ]; then kill -TERM "$stack_pid" 2>/dev/null || true; wait "$stack_pid" 2>/dev/null || true; fi
  rm -rf "$work" "$first"
}
trap cleanup EXIT

version="0.0.0-ci.$(date +%s)"
dotnet pack "$root/src/StrideCampus.AiChat.Client" -c Release -o "$work/feed" -p:Version="$version" --nologo -v q
test -f "$work/feed/StrideCampus.AiChat.Client.$version.nupkg"
test -f "$work/feed/StrideCampus.AiChat.Client.$version.snupkg"

# The SQL ships in the package, at database/<name>.sql, every script of database/ (not database/local/).
packed=$(unzip -Z1 "$work/feed/StrideCampus.AiChat.Client.$version.nupkg")
for sql in "$root"/database/*.sql; do
  name=$(basename "$sql")
  grep -qx "database/$name" <<<"$packed" || { echo "package consumer: database/$name is not in the package" >&2; exit 1; }
done
if grep -q '^database/local/' <<<"$packed"; then echo "package consumer: database/local/ must not be packed" >&2; exit 1; fi
echo "package consumer: SQL in the package: $(grep -c '^database/.*\.sql$' <<<"$packed") scripts"

# The consumer restores from the local feed for our package and from nuget.org for the rest.
cp "$here/PackageConsumer.csproj" "$here/Program.cs" "$here/Directory.Build.props" "$here/Directory.Packages.props" "$work/"
cat > "$work/nuget.config" <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="local" value="$work/feed" />
    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
  </packageSources>
  <packageSourceMapping>
    <packageSource key="local"><package pattern="StrideCampus.*" /></packageSource>
    <packageSource key="nuget.org"><package pattern="*" /></packageSource>
  </packageSourceMapping>
</configuration>
XML
dotnet build "$work/PackageConsumer.csproj" -p:AiChatPackageVersion="$version" --nologo -v q -o "$work/out" \
  -p:RestorePackagesPath="$work/packages"

dotnet build "$root/src/StrideCampus.AiChat.LocalStack" --nologo -v q
dotnet "$root/src/StrideCampus.AiChat.LocalStack/bin/Debug/net10.0/StrideCampus.AiChat.LocalStack.dll" start > "$work/stack.env" 2> "$work/stack.err" &
stack_pid=$!
for _ in $(seq 1 120); do
  grep -q '^JWT_SECRET=' "$work/stack.env" 2>/dev/null && break
  sleep 0.5
done
grep -q '^JWT_SECRET=' "$work/stack.env" || { cat "$work/stack.err"; echo "LocalStack did not start" >&2; exit 1; }
API_URL=$(sed -n 's/^API_URL="\(.*\)"$/\1/p' "$work/stack.env")
ANON_KEY=$(sed -n 's/^ANON_KEY="\(.*\)"$/\1/p' "$work/stack.env")
API_URL="$API_URL" ANON_KEY="$ANON_KEY" dotnet "$work/out/PackageConsumer.dll"

# The README's first app, as the README says: a new console project outside the repository, the
# package from a folder feed, the README's Program.cs, `dotnet run` with SUPABASE_URL/SUPABASE_ANON_KEY.
echo "package consumer: the README's first app"
(
  log="$first/steps.log"
  step() { "$@" >>"$log" 2>&1 || { cat "$log"; echo "package consumer: first app step failed: $*" >&2; exit 1; }; }
  cd "$first" && step dotnet new console -o FirstChat && cd FirstChat
  step dotnet new nugetconfig
  step dotnet nuget add source "$work/feed" --name aichat --configfile nuget.config
  export NUGET_PACKAGES="$work/packages"
  step dotnet add package StrideCampus.AiChat.Client --prerelease
  step dotnet add package Microsoft.Extensions.DependencyInjection
  grep -q "Include=\"StrideCampus.AiChat.Client\" Version=\"$version\"" FirstChat.csproj \
    || { cat FirstChat.csproj; echo "package consumer: the first app did not get the packed version $version" >&2; exit 1; }
  # The C# block right after the README's first-app marker.
  awk '/^<!-- first app: Program.cs -->$/ {found=1; next}
       found && /^```csharp$/ {inside=1; next}
       inside && /^```$/ {exit}
       inside {print}' "$root/README.md" > Program.cs
  test -s Program.cs || { echo "package consumer: no first app in README.md" >&2; exit 1; }
  SUPABASE_URL="$API_URL" SUPABASE_ANON_KEY="$ANON_KEY" timeout 600 dotnet run > "$first/run.out" 2>&1 \
    || { cat "$first/run.out"; echo "package consumer: the README's first app failed" >&2; exit 1; }
  grep -q 'Tab B shows "Hello from tab A" in "My first chat".' "$first/run.out" \
    || { cat "$first/run.out"; echo "package consumer: the first app did not print what the README says" >&2; exit 1; }
  tail -1 "$first/run.out"
)
echo "package consumer: ok ($version)"

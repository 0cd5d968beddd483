#!/usr/bin/env bash
# Packs the SDK, builds a fresh console app that references the .nupkg from a local folder
# source, and runs it against LocalStack: it must receive a realtime event. Run by .ci/run.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
work="$(mktemp -d)"
stack_pid=""
cleanup() {
  if [ -n "$stack_pid" ]; then kill -TERM "$stack_pid" 2>/dev/null || true; wait "$stack_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

version="0.0.0-ci.$(date +%s)"
dotnet pack "$root/src/StrideCampus.AiChat.Client" -c Release -o "$work/feed" -p:Version="$version" --nologo -v q
test -f "$work/feed/StrideCampus.AiChat.Client.$version.nupkg"
test -f "$work/feed/StrideCampus.AiChat.Client.$version.snupkg"

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
echo "package consumer: ok ($version)"

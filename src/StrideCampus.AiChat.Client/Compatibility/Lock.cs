#if !NET9_0_OR_GREATER
namespace System.Threading;

/// <summary>
/// Stands in for .NET 9's <c>System.Threading.Lock</c> on net8.0, so the same <c>lock</c> statements
/// compile for both targets; here they enter and exit <see cref="Monitor"/> on a private object.
/// </summary>
internal sealed class Lock
{
    private readonly object _monitor = new();

    public Scope EnterScope()
    {
        Monitor.Enter(_monitor);
        return new Scope(_monitor);
    }

    public ref struct Scope(object monitor)
    {
        public readonly void Dispose() => Monitor.Exit(monitor);
    }
}
#endif

namespace Analytics.Actors.Ingress;

/// <summary>
/// The consumers the pump hands its output to (event taps: streaming subscriptions, sync, the store; meter feeds), as a
/// copy-on-write array: the pump reads it with no lock, and adding or removing a consumer (rare) swaps in a new array.
/// </summary>
/// <typeparam name="T">The kind of consumer.</typeparam>
internal sealed class TapRegistry<T> where T : class
{
    private T[] _taps = [];

    /// <summary>The consumers right now.</summary>
    public T[] Current => Volatile.Read(ref _taps);

    /// <summary>Adds a consumer; it receives what is drained from now on.</summary>
    public void Add(T tap) => Swap(current => [.. current, tap]);

    /// <summary>Removes a consumer.</summary>
    public void Remove(T tap) => Swap(current => Array.FindAll(current, t => !ReferenceEquals(t, tap)));

    private void Swap(Func<T[], T[]> change)
    {
        T[] current, next;
        do
        {
            current = Volatile.Read(ref _taps);
            next = change(current);
        } while (Interlocked.CompareExchange(ref _taps, next, current) != current);
    }
}

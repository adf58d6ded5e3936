namespace Analytics.Actors.Ingress;

/// <summary>
/// The consumers of materialised events (streaming subscriptions, sync), as a copy-on-write array: the pump reads it
/// once per event with no lock, and adding or removing a tap (rare) swaps in a new array.
/// </summary>
internal sealed class TapRegistry
{
    private EventTap[] _taps = [];

    /// <summary>The taps right now.</summary>
    public EventTap[] Current => Volatile.Read(ref _taps);

    /// <summary>Adds a tap; it receives events drained from now on.</summary>
    public void Add(EventTap tap) => Swap(current => [.. current, tap]);

    /// <summary>Removes a tap.</summary>
    public void Remove(EventTap tap) => Swap(current => Array.FindAll(current, t => !ReferenceEquals(t, tap)));

    private void Swap(Func<EventTap[], EventTap[]> change)
    {
        EventTap[] current, next;
        do
        {
            current = Volatile.Read(ref _taps);
            next = change(current);
        } while (Interlocked.CompareExchange(ref _taps, next, current) != current);
    }
}

using System.Threading.Channels;
using Analytics.Actors.Ingress;
using Analytics.Contracts;

namespace Analytics.Actors;

/// <summary>
/// A live copy of every recorded event (the reference crate's <c>with_streaming</c>). Events arrive once the pump
/// drains them, with their id and timestamp assigned. The channel is bounded: a reader that falls behind loses copies
/// (counted in <see cref="Dropped"/>); the recorder never waits for it. Dispose to stop receiving; the reader then
/// completes.
/// </summary>
public sealed class EventSubscription : IDisposable
{
    private readonly TapRegistry<EventTap> _registry;
    private readonly EventTap _tap;

    internal EventSubscription(TapRegistry<EventTap> registry, EventTap tap, ChannelReader<AnalyticsEvent> reader)
    {
        _registry = registry;
        _tap = tap;
        Reader = reader;
    }

    /// <summary>Where the events arrive.</summary>
    public ChannelReader<AnalyticsEvent> Reader { get; }

    /// <summary>Copies lost because the channel was full.</summary>
    public long Dropped => _tap.Dropped;

    /// <summary>Copies delivered into the channel.</summary>
    public long Delivered => _tap.Accepted;

    /// <inheritdoc />
    public void Dispose()
    {
        _registry.Remove(_tap);
        _tap.Complete();
    }
}

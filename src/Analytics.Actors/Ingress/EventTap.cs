using System.Threading.Channels;
using Analytics.Contracts;

namespace Analytics.Actors.Ingress;

/// <summary>
/// A bounded consumer of materialised events (a streaming subscription or the sync queue).
/// The pump offers each event with <see cref="ChannelWriter{T}.TryWrite"/>, which never waits:
/// when the consumer is behind, the copy is counted in <see cref="Dropped"/> instead.
/// </summary>
internal sealed class EventTap
{
    private readonly ChannelWriter<AnalyticsEvent> _writer;
    private long _offered;
    private long _dropped;

    public EventTap(ChannelWriter<AnalyticsEvent> writer, bool llmEventsOnly, bool isSubscription)
    {
        _writer = writer;
        LlmEventsOnly = llmEventsOnly;
        IsSubscription = isSubscription;
    }

    /// <summary>True for a user's streaming subscription; false for internal consumers such as sync.</summary>
    public bool IsSubscription { get; }

    /// <summary>True when only completed and failed LLM events are wanted.</summary>
    public bool LlmEventsOnly { get; }

    /// <summary>Events the tap took.</summary>
    public long Accepted => Volatile.Read(ref _offered);

    /// <summary>Events the tap could not take (full, or already completed).</summary>
    public long Dropped => Volatile.Read(ref _dropped);

    /// <summary>Pump only. Offers one event; never blocks.</summary>
    public void Offer(AnalyticsEvent e)
    {
        if (LlmEventsOnly && !e.IsLlmEvent) return;
        if (_writer.TryWrite(e)) Interlocked.Increment(ref _offered);
        else Interlocked.Increment(ref _dropped);
    }

    /// <summary>Ends the stream for the consumer.</summary>
    public void Complete() => _writer.TryComplete();
}

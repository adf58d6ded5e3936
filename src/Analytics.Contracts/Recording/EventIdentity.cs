namespace Analytics.Contracts;

/// <summary>
/// An identity the caller already has for an event, for example from a replayed log:
/// <c>new EventIdentity { EventId = "...", TimestampMs = 1764547200000 }</c>. A null id is assigned (UUID v7) and a
/// 0 timestamp is stamped when the pump drains the event. Keeping a known id is what lets the upstream server
/// (and the store) recognise a replayed event and count it once.
/// </summary>
public readonly record struct EventIdentity
{
    /// <summary>The event id to keep; null assigns one. Must not be empty.</summary>
    public string? EventId { get; init; }

    /// <summary>Unix epoch milliseconds of the event; 0 stamps it when drained. Must be >= 0.</summary>
    public long TimestampMs { get; init; }
}

using Analytics.Contracts;

using Analytics.Actors.Sync;

namespace Analytics.Actors;

/// <summary>
/// The sync counters without an actor round trip, from DI. Unlike the <see cref="UsageStats.Sync"/> of a stats Ask,
/// it can be read after the host stopped, so it shows the final numbers of the shutdown flush.
/// </summary>
public sealed class SyncStatus
{
    private SyncMetrics? _metrics;

    internal SyncStatus()
    {
    }

    /// <summary>True once sync started (an endpoint is configured and the actor system is up).</summary>
    public bool Enabled => Volatile.Read(ref _metrics) is not null;

    /// <summary>The counters right now, or null when sync is off.</summary>
    public SyncCounters? Current => Volatile.Read(ref _metrics)?.Snapshot();

    internal void Attach(SyncMetrics metrics) => Volatile.Write(ref _metrics, metrics);

    /// <summary>See <see cref="SyncMetrics.HasRoom"/>; always true when sync is off.</summary>
    internal bool HasRoom(long llmEventsRecorded) => Volatile.Read(ref _metrics)?.HasRoom(llmEventsRecorded) ?? true;
}

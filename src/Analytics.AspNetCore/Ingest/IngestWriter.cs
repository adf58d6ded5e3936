using Analytics.Actors;
using Analytics.Actors.Store;
using Analytics.Actors.UsageLog;
using Analytics.Contracts;

namespace Analytics.AspNetCore.Ingest;

/// <summary>
/// Records a request's events and, with a store, waits until they are committed: the part of ingest that makes a 202
/// a promise. Events are offered with <c>TryRecord*</c> (never dropped): when the ring, or with a store the store
/// queue, has no room, the request waits for it up to <see cref="IngestOptions.RoomWait"/>, then gives up (503). With a
/// store the answer waits for <see cref="IUsageStore.WhenCommittedAsync"/> from a baseline read before the first event
/// was recorded; concurrent requests share the writer's transactions (its batches group whatever arrived meanwhile).
/// </summary>
internal sealed class IngestWriter(UsageRecorder recorder, StoreRuntime storeRuntime, IUsageStore store, AnalyticsOptions options, TimeProvider time)
{
    /// <summary>How the recording ended.</summary>
    public enum Outcome
    {
        /// <summary>Every event was recorded (and, with a store, committed).</summary>
        Done,

        /// <summary>No room within the wait: some events may be recorded, the client must retry (ids make it idempotent).</summary>
        NoRoom,

        /// <summary>The store dropped or gave up on events since the baseline, or did not commit within the ask timeout.</summary>
        NotCommitted,

        /// <summary>The analytics are stopping or stopped.</summary>
        Stopped,
    }

    /// <summary>The result: the outcome, events recorded, and events the recorder refused (with the reason, by index).</summary>
    public sealed record Result(Outcome Outcome, long Recorded, List<(int Index, string Reason)> Refused);

    public async Task<Result> RecordAsync(IReadOnlyList<UsageLogEntry> entries, CancellationToken cancellationToken)
    {
        var refused = new List<(int, string)>();
        var running = storeRuntime.Current;
        // Read before anything is recorded: a drop counted after it may be one of ours.
        var baseline = running is null ? null : store.Counters;
        var deadline = time.GetTimestamp() + (long)(options.Ingest.RoomWait.TotalSeconds * time.TimestampFrequency);
        long recorded = 0;
        try
        {
            for (var i = 0; i < entries.Count; i++)
            {
                while (true)
                {
                    // With a store, the ring's events go on to the store queue: room there too, or the pump would drop them.
                    if (running is null || running.HasRoom(recorder.PendingCount + 1))
                    {
                        try
                        {
                            if (entries[i].TryRecord(recorder))
                            {
                                recorded++;
                                break;
                            }
                        }
                        catch (ArgumentException e)
                        {
                            // The parser applies the recorder's rules, so this is a defence, not a path: the event is refused, the rest go on.
                            refused.Add((i, e.Message));
                            break;
                        }
                    }
                    if (time.GetTimestamp() >= deadline) return new Result(Outcome.NoRoom, recorded, refused);
                    await Task.Delay(1, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (InvalidOperationException)
        {
            // TryRecord after the host stopped.
            return new Result(Outcome.Stopped, recorded, refused);
        }
        if (running is null || recorded == 0) return new Result(Outcome.Done, recorded, refused);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.AskTimeout);
        try
        {
            var commit = await store.WhenCommittedAsync(baseline, timeout.Token).ConfigureAwait(false);
            return new Result(commit.Complete ? Outcome.Done : Outcome.NotCommitted, recorded, refused);
        }
        catch (Exception e) when (e is OperationCanceledException or TimeoutException or Akka.Actor.AskTimeoutException && !cancellationToken.IsCancellationRequested)
        {
            return new Result(Outcome.NotCommitted, recorded, refused);
        }
        catch (InvalidOperationException)
        {
            return new Result(Outcome.Stopped, recorded, refused);
        }
    }
}

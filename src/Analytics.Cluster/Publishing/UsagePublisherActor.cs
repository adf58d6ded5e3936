using Akka.Actor;
using Akka.Cluster;
using Akka.DistributedData;
using Akka.Event;
using Akka.Hosting;
using Analytics.Actors.Cluster.Crdt;
using Analytics.Contracts;

namespace Analytics.Actors.Cluster.Publishing;

/// <summary>
/// Publishes this node's usage into Distributed Data: every <c>PublishInterval</c> it asks the analytics coordinator for
/// a snapshot (the same read-your-writes stats the node serves itself) and adds what changed since the last publish to
/// this node's counters (<see cref="PublishPlan"/>), written locally and spread by gossip. At shutdown
/// (<see cref="FinalPublish"/>, before the node leaves the cluster) it publishes the last snapshot and writes every key it
/// ever wrote to all nodes, or failing that to a majority, so its counts outlive it. One round at a time: a round ends when
/// the replicator has answered every update of it.
/// </summary>
internal sealed class UsagePublisherActor : UntypedActor, IWithTimers
{
    private readonly IActorRef _replicator;
    private readonly IActorRegistry _registry;
    private readonly UniqueAddress _self;
    private readonly ClusterLayout _layout;
    private readonly UsageClusterOptions _options;
    private readonly TimeSpan _askTimeout;
    private readonly PublishStatusHolder _status;
    private readonly PublishPlan _plan;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<string, UsageCounterMapKey> _waiting = [];
    private readonly List<UsageCounterMapKey> _unconfirmed = [];
    // Data keys the replicator refused during the final publish: their counts cannot be published any more.
    private readonly SortedSet<string> _refusedInFinal = new(StringComparer.Ordinal);

    private long _attempt;
    private bool _busy;
    private bool _up;
    private PublishPlan.Round? _round;
    private Final? _final;

    public UsagePublisherActor(IActorRef replicator, IActorRegistry registry, UniqueAddress self, ClusterLayout layout, UsageClusterOptions options,
        TimeSpan askTimeout, PublishStatusHolder status)
    {
        _replicator = replicator;
        _registry = registry;
        _self = self;
        _layout = layout;
        _options = options;
        _askTimeout = askTimeout;
        _status = status;
        _plan = new PublishPlan(layout, self);
    }

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>Creates the publisher.</summary>
    public static Props CreateProps(IActorRef replicator, IActorRegistry registry, UniqueAddress self, ClusterLayout layout, UsageClusterOptions options,
        TimeSpan askTimeout, PublishStatusHolder status) =>
        Props.Create(() => new UsagePublisherActor(replicator, registry, self, layout, options, askTimeout, status));

    /// <summary>Publish one last time, to every node, and answer <see cref="FinalPublished"/>: sent by CoordinatedShutdown before the node leaves.</summary>
    public sealed record FinalPublish
    {
        /// <summary>The one instance.</summary>
        public static readonly FinalPublish Instance = new();

        private FinalPublish() { }
    }

    /// <summary>The answer to <see cref="FinalPublish"/>.</summary>
    public sealed record FinalPublished(ClusterFinalPublish Outcome, string? Problem);

    /// <inheritdoc />
    protected override void PreStart()
    {
        Subscribe(ClusterLayout.NodeKey);
        foreach (var d in ClusterLayout.Dimensions)
        {
            foreach (var key in _layout.ShardKeys(d)) Subscribe(key);
        }
        var self = Self;
        Akka.Cluster.Cluster.Get(Context.System).RegisterOnMemberUp(() => self.Tell(Up.Instance));
        Timers.StartPeriodicTimer("publish", Tick.Instance, _options.PublishInterval);
    }

    /// <inheritdoc />
    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case Tick when !_busy && _final is null:
                _busy = true;
                AskSnapshot();
                break;
            case Tick:
                break;
            case Up:
                _up = true;
                if (_final is { Stage: FinalStage.WaitingForUp }) StartFinal();
                break;
            case Snapshot snapshot:
                Publish(snapshot.Stats);
                break;
            case SnapshotFailed failed:
                _log.Warning("Cluster publish skipped: the analytics coordinator did not answer ({Reason}); the next round publishes what this one missed", failed.Reason);
                if (_final is { Stage: FinalStage.ReadingStats }) Finish(ClusterFinalPublish.NotAcknowledged, $"the last stats could not be read: {failed.Reason}");
                else EndRound();
                break;
            case IUpdateResponse response:
                OnUpdateResponse(response);
                break;
            case Changed changed when changed.Key is UsageCounterMapKey key:
                _plan.Observe(key, changed.Get(key));
                break;
            case FinalPublish:
                OnFinalPublish();
                break;
            case FinalDeadline when _final is { Stage: not FinalStage.Done } final:
                Finish(ClusterFinalPublish.NotAcknowledged, final.Stage == FinalStage.WaitingForUp
                    ? $"this node had not joined the cluster within {AnalyticsOptions.SectionName}:Cluster:FinalPublishTimeout ({_options.FinalPublishTimeout:c})"
                    : $"{_unconfirmed.Count + _waiting.Count} data keys were not confirmed by a majority within {AnalyticsOptions.SectionName}:Cluster:FinalPublishTimeout ({_options.FinalPublishTimeout:c})");
                break;
            case FinalDeadline:
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void Subscribe(UsageCounterMapKey key) => _replicator.Tell(Dsl.Subscribe(key, Self));

    private void AskSnapshot()
    {
        if (!_registry.TryGet<AnalyticsCoordinator>(out var coordinator))
        {
            Self.Tell(new SnapshotFailed("the analytics coordinator is not registered (WithUsageAnalytics() missing?)"));
            return;
        }
        coordinator.Ask<UsageStats>(UsageQueries.GetStats.Instance, _askTimeout).PipeTo(Self,
            success: stats => new Snapshot(stats),
            failure: e => new SnapshotFailed(e.Message));
    }

    private void Publish(UsageStats stats)
    {
        var round = _plan.Next(stats);
        _round = round;
        _attempt++;
        var last = _final is { Stage: FinalStage.ReadingStats };
        IWriteConsistency consistency = last ? new WriteAll(Half()) : WriteLocal.Instance;
        foreach (var (key, rows) in round.Deltas) Send(key, consistency, map => map.Increment(_self, rows));
        if (last)
        {
            _final!.Stage = FinalStage.WritingAll;
            // Keys written in earlier rounds may not have reached every node by gossip yet: confirm them too, with an update
            // that changes nothing (an increment is never sent twice).
            foreach (var key in _plan.Written)
            {
                if (!round.Deltas.ContainsKey(key)) Send(key, consistency, map => map);
            }
        }
        _status.Round(round.Deltas.Count);
        if (_waiting.Count == 0) RoundAnswered();
    }

    private void Send(UsageCounterMapKey key, IWriteConsistency consistency, Func<UsageCounterMap, UsageCounterMap> modify)
    {
        _waiting[key.Id] = key;
        _replicator.Tell(Dsl.Update(key, UsageCounterMap.Empty, consistency, new Attempt(_attempt, key.Id), modify));
    }

    private void OnUpdateResponse(IUpdateResponse response)
    {
        if (response.Request is not Attempt attempt || attempt.Number != _attempt || !_waiting.Remove(attempt.KeyId, out var key)) return;
        switch (response)
        {
            case UpdateSuccess:
                break;
            case UpdateTimeout:
                // Applied here, not confirmed elsewhere: gossip carries it. Never sent again as an increment.
                _status.Timeout();
                _unconfirmed.Add(key);
                break;
            case StoreFailure:
                // A durable store failed after the replicator applied the update in memory: like a timeout, it spreads by
                // gossip, and sending it again would count it twice.
                _log.Warning("Cluster publish of {Key} was applied but not stored durably ({Response}); it is not sent again", key.Id, response);
                _unconfirmed.Add(key);
                break;
            default:
                // Refused before it was applied (the modify function failed, or the data was deleted): unpublished again.
                _log.Error("Cluster publish of {Key} was refused by the replicator ({Response}); its counts are published in the next round", key.Id, response);
                if (_round is not null) _plan.Revert(_round, key);
                // In the final publish no later round comes to send it again: the outcome must say so.
                if (_final is not null) _refusedInFinal.Add(key.Id);
                _unconfirmed.Add(key);
                break;
        }
        if (_waiting.Count == 0) RoundAnswered();
    }

    private void RoundAnswered()
    {
        if (_final is null or { Stage: FinalStage.WaitingForRound })
        {
            // A periodic round: what was not confirmed spreads by gossip.
            _unconfirmed.Clear();
            EndRound();
            return;
        }
        switch (_final.Stage)
        {
            case FinalStage.WritingAll or FinalStage.WritingMajority when _refusedInFinal.Count > 0 && _unconfirmed.Count == 0:
                Finish(ClusterFinalPublish.NotAcknowledged,
                    $"the replicator refused {_refusedInFinal.Count} data keys ({string.Join(", ", _refusedInFinal)}); the counts they held since the last publish are on this node only");
                break;
            case FinalStage.WritingAll when _unconfirmed.Count == 0:
                Finish(ClusterFinalPublish.AcknowledgedByAll, null);
                break;
            case FinalStage.WritingAll:
                _final.Stage = FinalStage.WritingMajority;
                _attempt++;
                var keys = _unconfirmed.ToArray();
                _unconfirmed.Clear();
                var majority = new WriteMajority(Remaining());
                foreach (var key in keys) Send(key, majority, map => map);
                break;
            case FinalStage.WritingMajority when _unconfirmed.Count == 0:
                Finish(ClusterFinalPublish.AcknowledgedByMajority, null);
                break;
            case FinalStage.WritingMajority:
                Finish(ClusterFinalPublish.NotAcknowledged, $"{_unconfirmed.Count} data keys were confirmed by neither all nodes nor a majority in time; their last counts may exist on this node only");
                break;
        }
    }

    private void EndRound()
    {
        _busy = false;
        _round = null;
        if (_final is { Stage: FinalStage.WaitingForRound }) StartFinal();
    }

    private void OnFinalPublish()
    {
        if (_final is not null)
        {
            // A second request (a retried shutdown task) waits for the same outcome.
            if (_final.Stage == FinalStage.Done) Sender.Tell(_final.Outcome);
            else _final.Requesters.Add(Sender);
            return;
        }
        Timers.Cancel("publish");
        _final = new Final(Context.System.Scheduler.MonotonicClock + _options.FinalPublishTimeout) { Requesters = { Sender } };
        Timers.StartSingleTimer("final-deadline", FinalDeadline.Instance, _options.FinalPublishTimeout);
        if (_busy) _final.Stage = FinalStage.WaitingForRound;
        else StartFinal();
    }

    private void StartFinal()
    {
        if (!_up)
        {
            _final!.Stage = FinalStage.WaitingForUp;
            return;
        }
        _final!.Stage = FinalStage.ReadingStats;
        _busy = true;
        AskSnapshot();
    }

    private void Finish(ClusterFinalPublish outcome, string? problem)
    {
        var final = _final!;
        final.Stage = FinalStage.Done;
        final.Outcome = new FinalPublished(outcome, problem);
        _waiting.Clear();
        _attempt++;
        Timers.Cancel("final-deadline");
        _status.Finished(outcome, problem);
        if (problem is null) _log.Info("Cluster final publish: {Outcome}", outcome);
        else _log.Warning("Cluster final publish: {Outcome}: {Problem}", outcome, problem);
        foreach (var requester in final.Requesters) requester.Tell(final.Outcome);
        final.Requesters.Clear();
    }

    /// <summary>Half the time left: WriteAll gets one half, the majority fallback the other.</summary>
    private TimeSpan Half() => TimeSpan.FromTicks(Math.Max(Remaining().Ticks / 2, TimeSpan.FromMilliseconds(50).Ticks));

    private TimeSpan Remaining()
    {
        var left = _final!.Deadline - Context.System.Scheduler.MonotonicClock;
        return left > TimeSpan.FromMilliseconds(50) ? left : TimeSpan.FromMilliseconds(50);
    }

    private enum FinalStage
    {
        WaitingForRound,
        WaitingForUp,
        ReadingStats,
        WritingAll,
        WritingMajority,
        Done,
    }

    private sealed class Final(TimeSpan deadline)
    {
        public TimeSpan Deadline { get; } = deadline;

        public FinalStage Stage { get; set; }

        public List<IActorRef> Requesters { get; } = [];

        public FinalPublished? Outcome { get; set; }
    }

    private sealed record Attempt(long Number, string KeyId);

    private sealed record Snapshot(UsageStats Stats);

    private sealed record SnapshotFailed(string Reason);

    private sealed record Tick
    {
        public static readonly Tick Instance = new();
    }

    private sealed record Up
    {
        public static readonly Up Instance = new();
    }

    private sealed record FinalDeadline
    {
        public static readonly FinalDeadline Instance = new();
    }
}

/// <summary>The publisher's counters, read from any thread (<see cref="IClusterUsageStats.Status"/>).</summary>
internal sealed class PublishStatusHolder
{
    private long _rounds;
    private long _updates;
    private long _timeouts;
    private volatile Tuple<ClusterFinalPublish, string?> _final = Tuple.Create(ClusterFinalPublish.NotYet, (string?)null);

    /// <summary>The current counters.</summary>
    public ClusterPublishStatus Current => new(Interlocked.Read(ref _rounds), Interlocked.Read(ref _updates), Interlocked.Read(ref _timeouts), _final.Item1, _final.Item2);

    public void Round(int updates)
    {
        if (updates == 0) return;
        Interlocked.Increment(ref _rounds);
        Interlocked.Add(ref _updates, updates);
    }

    public void Timeout() => Interlocked.Increment(ref _timeouts);

    public void Finished(ClusterFinalPublish outcome, string? problem) => _final = Tuple.Create(outcome, problem);
}

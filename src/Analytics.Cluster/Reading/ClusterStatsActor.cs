using Akka.Actor;
using Akka.DistributedData;
using Analytics.Actors.Cluster.Crdt;
using Analytics.Actors.Cluster.Publishing;

namespace Analytics.Actors.Cluster.Reading;

/// <summary>
/// Answers <see cref="GetClusterUsage"/> with the merged view of every node's published counts. Each query runs in a
/// child of its own (<see cref="ClusterQueryActor"/>), so slow majority or all reads never hold up another query.
/// </summary>
internal sealed class ClusterStatsActor(IActorRef replicator, ClusterLayout layout, TimeSpan readTimeout, TimeProvider time) : UntypedActor
{
    /// <summary>Creates the actor.</summary>
    public static Props CreateProps(IActorRef replicator, ClusterLayout layout, TimeSpan readTimeout, TimeProvider time) =>
        Props.Create(() => new ClusterStatsActor(replicator, layout, readTimeout, time));

    /// <summary>Read the cluster's usage with <paramref name="Consistency"/>; answered with a <see cref="ClusterUsage"/> or a failure.</summary>
    public sealed record GetClusterUsage(ClusterReadConsistency Consistency);

    /// <inheritdoc />
    protected override void OnReceive(object message)
    {
        if (message is GetClusterUsage query) Context.ActorOf(ClusterQueryActor.CreateProps(replicator, layout, query.Consistency, readTimeout, time, Sender));
        else Unhandled(message);
    }
}

/// <summary>
/// One cluster query: reads the node key first (it lists the shards the nodes wrote), then those shards, all with the same
/// consistency, merges them, answers and stops. A read that does not reach the nodes its consistency
/// needs fails the query with a <see cref="TimeoutException"/> naming the consistency.
/// </summary>
internal sealed class ClusterQueryActor : UntypedActor
{
    private readonly IActorRef _replicator;
    private readonly ClusterLayout _layout;
    private readonly ClusterReadConsistency _consistency;
    private readonly IReadConsistency _read;
    private readonly TimeSpan _readTimeout;
    private readonly TimeProvider _time;
    private readonly IActorRef _replyTo;
    private readonly Dictionary<string, UsageCounterMap> _maps = [];
    private readonly HashSet<string> _waiting = [];
    private UsageCounterMap? _node;

    public ClusterQueryActor(IActorRef replicator, ClusterLayout layout, ClusterReadConsistency consistency, TimeSpan readTimeout, TimeProvider time, IActorRef replyTo)
    {
        _replicator = replicator;
        _layout = layout;
        _consistency = consistency;
        _readTimeout = readTimeout;
        _time = time;
        _replyTo = replyTo;
        _read = consistency switch
        {
            ClusterReadConsistency.Local => ReadLocal.Instance,
            ClusterReadConsistency.Majority => new ReadMajority(readTimeout),
            _ => new ReadAll(readTimeout),
        };
    }

    /// <summary>Creates a query.</summary>
    public static Props CreateProps(IActorRef replicator, ClusterLayout layout, ClusterReadConsistency consistency, TimeSpan readTimeout, TimeProvider time,
        IActorRef replyTo) =>
        Props.Create(() => new ClusterQueryActor(replicator, layout, consistency, readTimeout, time, replyTo));

    /// <inheritdoc />
    protected override void PreStart() => Read(ClusterLayout.NodeKey);

    /// <inheritdoc />
    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case GetSuccess success when success.Key is UsageCounterMapKey key:
                Arrived(key.Id, success.Get(key));
                break;
            case NotFound notFound:
                Arrived(notFound.Key.Id, UsageCounterMap.Empty);
                break;
            case GetFailure failure:
                Fail(new TimeoutException(
                    $"The cluster usage could not be read with consistency {_consistency.ToString().ToLowerInvariant()}: the nodes it needs did not answer within " +
                    $"{AnalyticsOptions.SectionName}:Cluster:ReadTimeout ({_readTimeout:c}) (key {failure.Key.Id}). Try consistency=local or majority, or check the cluster's members."));
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void Read(UsageCounterMapKey key)
    {
        _waiting.Add(key.Id);
        _replicator.Tell(Dsl.Get(key, _read));
    }

    private void Arrived(string id, UsageCounterMap map)
    {
        if (!_waiting.Remove(id)) return;
        if (_node is null)
        {
            _node = map;
            foreach (var d in ClusterLayout.Dimensions)
            {
                foreach (var shard in ClusterMerge.UsedShards(map, d)) Read(ShardKey(d, shard));
            }
        }
        else
        {
            _maps[id] = map;
        }
        if (_waiting.Count > 0) return;
        var shards = new Dictionary<Dimension, IReadOnlyList<UsageCounterMap>>();
        foreach (var d in ClusterLayout.Dimensions) shards[d] = ClusterMerge.UsedShards(_node, d).Select(i => _maps[ShardKey(d, i).Id]).ToList();
        _replyTo.Tell(ClusterMerge.Build(_node, shards, _consistency, _time.GetUtcNow()));
        Context.Stop(Self);
    }

    private UsageCounterMapKey ShardKey(Dimension dimension, int shard) =>
        shard < _layout.Shards ? _layout.ShardKey(dimension, shard) : ClusterLayout.Keys(dimension, shard + 1)[shard];

    private void Fail(Exception e)
    {
        _replyTo.Tell(new Status.Failure(e));
        Context.Stop(Self);
    }
}

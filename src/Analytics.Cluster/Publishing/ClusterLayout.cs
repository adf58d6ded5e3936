using Analytics.Actors.Cluster.Crdt;

namespace Analytics.Actors.Cluster.Publishing;

/// <summary>The three breakdowns a node publishes, each spread over shards of its own.</summary>
internal enum Dimension
{
    Model,
    Provider,
    Agent,
}

/// <summary>
/// Where the published counts live in Distributed Data. One key, <c>llm-usage/node</c>, holds each node's totals, ingress
/// and lifecycle counters, the keys it folded into <c>(other)</c> and the shards it wrote; each breakdown is spread by a
/// stable hash of the row key over <see cref="Shards"/> keys (<c>llm-usage/agent/7</c>). Replicas gossip a key's whole
/// value, so small keys keep every gossip message small: a new row is only added to a shard below
/// <see cref="ShardByteBudget"/>, and the usage replicator sends at most <see cref="MaxGossipKeys"/> keys per gossip
/// message, so a message stays below Akka's default remoting frame (128,000 bytes) even when every row has since grown.
/// </summary>
internal sealed class ClusterLayout
{
    /// <summary>The key holding every node's totals and node-level counters.</summary>
    public static readonly UsageCounterMapKey NodeKey = new("llm-usage/node");

    /// <summary>Rows of <see cref="NodeKey"/>.</summary>
    public const string TotalsRow = "totals", IngressRow = "ingress", LifecycleRow = "lifecycle", OverflowRow = "overflow";

    /// <summary>The row of <see cref="NodeKey"/> listing the shards of a breakdown a node wrote (1 at each index used), so readers read only those.</summary>
    public static string ShardsRow(Dimension dimension) => $"shards/{Name(dimension)}";

    /// <summary>The row that keys past the cap are published under (the same name the pump uses past its own cap).</summary>
    public const string OverflowKey = "(other)";

    /// <summary>
    /// Most rows a shard takes. Shards per breakdown = the key cap / 16, so with keys hashed evenly shards are half full when
    /// the breakdown reaches its cap, and a shard rarely fills first.
    /// </summary>
    public const int RowsPerShard = 32;

    /// <summary>Estimated serialized size past which a shard takes no new row (long keys); its rows still grow as more nodes publish them.</summary>
    public const int ShardByteBudget = 8 * 1024;

    /// <summary>
    /// Keys per gossip message (the replicator's <c>max-delta-elements</c>). A shard is admitted up to 8 KB and then grows by
    /// about 40 bytes per row per further publishing node (32 rows: about 1.3 KB per node), so 4 keys stay under Akka's
    /// default 128,000-byte remoting frame with up to about 18 nodes publishing the same rows.
    /// </summary>
    public const int MaxGossipKeys = 4;

    /// <summary>Most shards per breakdown (the largest key cap, 100,000, needs 6,250).</summary>
    public const int MaxShards = 8_192;

    private readonly UsageCounterMapKey[][] _keys;

    /// <summary>The layout of a node whose breakdowns hold at most <paramref name="maxKeysPerDimension"/> keys.</summary>
    public ClusterLayout(int maxKeysPerDimension)
    {
        MaxKeysPerDimension = maxKeysPerDimension;
        Shards = ShardsFor(maxKeysPerDimension);
        _keys = new UsageCounterMapKey[3][];
        foreach (var d in Dimensions) _keys[(int)d] = Keys(d, Shards);
    }

    /// <summary>The breakdowns, in the order of <see cref="Dimension"/>.</summary>
    public static readonly Dimension[] Dimensions = [Dimension.Model, Dimension.Provider, Dimension.Agent];

    /// <summary>The cap on keys per breakdown.</summary>
    public int MaxKeysPerDimension { get; }

    /// <summary>Shards per breakdown.</summary>
    public int Shards { get; }

    /// <summary>Shards per breakdown for a cap.</summary>
    public static int ShardsFor(int maxKeysPerDimension) => Math.Clamp((maxKeysPerDimension + RowsPerShard / 2 - 1) / (RowsPerShard / 2), 1, MaxShards);

    /// <summary>The key of one shard.</summary>
    public UsageCounterMapKey ShardKey(Dimension dimension, int shard) => _keys[(int)dimension][shard];

    /// <summary>This node's shard keys of a breakdown.</summary>
    public IReadOnlyList<UsageCounterMapKey> ShardKeys(Dimension dimension) => _keys[(int)dimension];

    /// <summary>The shard keys of a breakdown spread over <paramref name="shards"/> (another node's layout may be wider).</summary>
    public static UsageCounterMapKey[] Keys(Dimension dimension, int shards)
    {
        var keys = new UsageCounterMapKey[shards];
        for (var i = 0; i < shards; i++) keys[i] = new UsageCounterMapKey($"llm-usage/{Name(dimension)}/{i}");
        return keys;
    }

    /// <summary>The shard of a row key: FNV-1a over its UTF-16 code units, the same in every process (unlike string.GetHashCode).</summary>
    public int ShardOf(string key) => (int)(Fnv1a(key) % (uint)Shards);

    /// <summary>The breakdown's name in key ids.</summary>
    public static string Name(Dimension dimension) => dimension switch
    {
        Dimension.Model => "model",
        Dimension.Provider => "provider",
        _ => "agent",
    };

    private static uint Fnv1a(string s)
    {
        var hash = 2_166_136_261u;
        foreach (var c in s)
        {
            hash = unchecked((hash ^ (byte)c) * 16_777_619u);
            hash = unchecked((hash ^ (byte)(c >> 8)) * 16_777_619u);
        }
        return hash;
    }
}

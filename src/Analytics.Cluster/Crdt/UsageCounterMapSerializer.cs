using System.Collections.Immutable;
using System.Runtime.Serialization;
using System.Text;
using Akka.Actor;
using Akka.Cluster;
using Akka.Serialization;

namespace Analytics.Actors.Cluster.Crdt;

/// <summary>
/// The wire format of <see cref="UsageCounterMap"/> (gossip, writes and reads between nodes): compact and versioned, so
/// a shard of a few hundred rows stays far below the remoting frame size. Layout: a version byte; the node table (each
/// node's protocol, system, host, port and uid once); then each row's key and, per node, the node's index and its
/// counters as variable-length integers.
/// </summary>
internal sealed class UsageCounterMapSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    /// <summary>The serializer's id: unique among the system's serializers (Akka reserves 0..100).</summary>
    public const int Id = 4_715;

    /// <summary>Its name in <c>akka.actor.serializers</c>.</summary>
    public const string Name = "llm-usage-counters";

    private const string MapManifest = "U1";
    private const byte Version = 1;

    /// <summary>Longest vector accepted when reading: far above <see cref="Analytics.Contracts.UsageCounters.Count"/>, far below harm.</summary>
    private const int MaxWidth = 1_024;

    /// <inheritdoc />
    public override int Identifier => Id;

    /// <inheritdoc />
    public override string Manifest(object o) => o is UsageCounterMap ? MapManifest : throw new ArgumentException($"cannot serialize {o.GetType()}", nameof(o));

    /// <inheritdoc />
    public override byte[] ToBinary(object obj) => obj is UsageCounterMap map ? Write(map) : throw new ArgumentException($"cannot serialize {obj.GetType()}", nameof(obj));

    /// <inheritdoc />
    public override object FromBinary(byte[] bytes, string manifest) =>
        manifest == MapManifest ? Read(bytes) : throw new SerializationException($"unknown manifest '{manifest}' for {nameof(UsageCounterMap)}");

    /// <summary>The bytes of <paramref name="map"/>.</summary>
    public static byte[] Write(UsageCounterMap map)
    {
        using var buffer = new MemoryStream();
        using (var w = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Version);
            // Equal maps must give equal bytes in every process: the replicator compares digests of the serialized value to
            // tell whether two replicas agree, and dictionary order follows string hashes, which each process seeds
            // randomly. So nodes, rows and each row's nodes are written sorted, and vectors without trailing zeros.
            var sortedNodes = new SortedSet<UniqueAddress>(NodeOrder.Instance);
            foreach (var row in map.Rows.Values) sortedNodes.UnionWith(row.Keys);
            var nodes = new Dictionary<UniqueAddress, int>();
            foreach (var node in sortedNodes) nodes.Add(node, nodes.Count);
            w.Write7BitEncodedInt(nodes.Count);
            foreach (var node in sortedNodes)
            {
                var a = node.Address;
                w.Write(a.Protocol);
                w.Write(a.System);
                w.Write(a.Host ?? "");
                w.Write7BitEncodedInt(a.Port ?? 0);
                w.Write(node.Uid);
            }
            w.Write7BitEncodedInt(map.Rows.Count);
            foreach (var (key, row) in map.Rows.OrderBy(r => r.Key, StringComparer.Ordinal))
            {
                w.Write(key);
                w.Write7BitEncodedInt(row.Count);
                foreach (var (node, vector) in row.OrderBy(n => nodes[n.Key]))
                {
                    w.Write7BitEncodedInt(nodes[node]);
                    var length = vector.Length;
                    while (length > 0 && vector[length - 1] == 0) length--;
                    w.Write7BitEncodedInt(length);
                    for (var i = 0; i < length; i++) w.Write7BitEncodedInt64(vector[i]);
                }
            }
        }
        return buffer.ToArray();
    }

    /// <summary>The map held by <paramref name="bytes"/>.</summary>
    /// <exception cref="SerializationException">The bytes are not a map of this format.</exception>
    public static UsageCounterMap Read(byte[] bytes)
    {
        try
        {
            using var r = new BinaryReader(new MemoryStream(bytes, writable: false), Encoding.UTF8);
            var version = r.ReadByte();
            if (version != Version) throw new SerializationException($"{nameof(UsageCounterMap)} format version {version} is not supported (this build reads {Version})");
            var nodes = new UniqueAddress[Count(r, bytes.Length)];
            for (var i = 0; i < nodes.Length; i++)
            {
                var protocol = r.ReadString();
                var systemName = r.ReadString();
                var host = r.ReadString();
                var port = r.Read7BitEncodedInt();
                nodes[i] = new UniqueAddress(new Address(protocol, systemName, host.Length == 0 ? null : host, port == 0 ? null : port), r.ReadInt32());
            }
            var rows = ImmutableDictionary.CreateBuilder<string, ImmutableDictionary<UniqueAddress, long[]>>(StringComparer.Ordinal);
            var rowCount = Count(r, bytes.Length);
            for (var i = 0; i < rowCount; i++)
            {
                var key = r.ReadString();
                var row = ImmutableDictionary.CreateBuilder<UniqueAddress, long[]>();
                var entries = Count(r, nodes.Length);
                for (var j = 0; j < entries; j++)
                {
                    var index = r.Read7BitEncodedInt();
                    if ((uint)index >= (uint)nodes.Length) throw new SerializationException($"row '{key}' names node {index} of {nodes.Length}");
                    var vector = new long[Count(r, MaxWidth)];
                    for (var k = 0; k < vector.Length; k++)
                    {
                        vector[k] = r.Read7BitEncodedInt64();
                        if (vector[k] < 0) throw new SerializationException($"row '{key}' holds a negative count ({vector[k]})");
                    }
                    row[nodes[index]] = vector;
                }
                rows[key] = row.ToImmutable();
            }
            if (r.BaseStream.Position != bytes.Length) throw new SerializationException($"{bytes.Length - r.BaseStream.Position} bytes left after the map");
            return new UsageCounterMap(rows.ToImmutable());
        }
        catch (Exception e) when (e is EndOfStreamException or FormatException or ArgumentException or IOException)
        {
            throw new SerializationException($"a {nameof(UsageCounterMap)} could not be read: {e.Message}", e);
        }
    }

    private static int Count(BinaryReader r, int max)
    {
        var n = r.Read7BitEncodedInt();
        if (n < 0 || n > max) throw new SerializationException($"a count of {n} is out of range (0..{max})");
        return n;
    }
}

/// <summary>A total order of cluster nodes that is the same in every process: address text, then uid.</summary>
internal sealed class NodeOrder : IComparer<UniqueAddress>
{
    /// <summary>The one instance.</summary>
    public static readonly NodeOrder Instance = new();

    /// <inheritdoc />
    public int Compare(UniqueAddress? x, UniqueAddress? y)
    {
        if (ReferenceEquals(x, y)) return 0;
        if (x is null) return -1;
        if (y is null) return 1;
        var byAddress = string.CompareOrdinal(x.Address.ToString(), y.Address.ToString());
        return byAddress != 0 ? byAddress : x.Uid.CompareTo(y.Uid);
    }
}

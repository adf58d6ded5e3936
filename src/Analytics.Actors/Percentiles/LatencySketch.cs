using System.Runtime.CompilerServices;
using Analytics.Contracts;

namespace Analytics.Actors.Percentiles;

/// <summary>
/// A mergeable quantile sketch of non-negative integer latencies (milliseconds), in the manner of DDSketch: each value
/// lands in a logarithmic bucket <c>(γ^(i-1), γ^i]</c> with <c>γ = (1 + α) / (1 - α)</c>, and a quantile is answered with its
/// bucket's representative <c>2γ^i / (1 + γ)</c>, which is within <see cref="RelativeAccuracy"/> (α = 1 %) of the exact
/// value of that rank. Zeros are counted apart (exactly). Counts only add, so merging is exact and order-independent:
/// the sketch of a union is the same whatever order its parts were merged in. Not thread-safe: one owner at a time.
/// </summary>
/// <remarks>
/// Buckets are a dense array over the range of indexes seen, grown on demand: latencies from 10 ms to 10 min span
/// about 550 buckets (4.4 KB); the whole range of a <see cref="long"/> is 2,185 buckets (17 KB), plus a little slack.
/// </remarks>
internal sealed class LatencySketch
{
    /// <summary>The relative error bound of every quantile: 1 %.</summary>
    public const double RelativeAccuracy = 0.01;

    private const int Slack = 16;

    /// <summary>The first byte of <see cref="ToBytes"/>: a stored sketch of another format is refused, not misread.</summary>
    private const byte FormatVersion = 1;

    /// <summary>Beyond the bucket of any <see cref="long"/> (about 2,185 for α = 1 %): a larger index in stored bytes is corrupt.</summary>
    private const int MaxBucketIndex = 4096;
    private static readonly double Gamma = (1 + RelativeAccuracy) / (1 - RelativeAccuracy);
    private static readonly double InverseLogGamma = 1 / Math.Log(Gamma);
    private static readonly double Representative = 2 / (1 + Gamma);

    /// <summary>
    /// <see cref="IndexOf"/> of every value below 65,536 ms, computed once with the same expression (so the buckets are
    /// the same): a lookup is about 1.5 ns where the logarithm is about 9, and the pump computes two per request.
    /// 128 KB.
    /// </summary>
    private static readonly ushort[] SmallBuckets = BuildSmallBuckets();

    private long[] _counts = [];
    private int _offset;
    private long _zeros;
    private long _count;
    private long _min = long.MaxValue;
    private long _max;

    /// <summary>Values added (merged ones included).</summary>
    public long Count => _count;

    /// <summary>True before the first value.</summary>
    public bool IsEmpty => _count == 0;

    /// <summary>The smallest value added (exact); meaningless while empty.</summary>
    public long Min => _min;

    /// <summary>The largest value added (exact); meaningless while empty.</summary>
    public long Max => _max;

    /// <summary>Buckets allocated (for the memory bound).</summary>
    internal int Capacity => _counts.Length;

    /// <summary>The bucket of a value >= 1: <c>ceil(log_γ(value))</c>.</summary>
    public static int IndexOf(long value) => (int)Math.Ceiling(Math.Log(value) * InverseLogGamma);

    /// <summary>The bucket of any latency: <see cref="IndexOf"/> for values >= 1, and 0 (unused) for 0, which is counted apart.</summary>
    /// <param name="value">A latency, >= 0.</param>
    public static int BucketOf(long value)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(value);
        return value < SmallBuckets.Length ? SmallBuckets[value] : IndexOf(value);
    }

    /// <summary>Adds one value.</summary>
    /// <param name="value">A latency, >= 0 (the recorder refuses negative ones).</param>
    public void Add(long value) => Add(value, BucketOf(value));

    /// <summary>
    /// Adds one value whose bucket was computed already (<see cref="BucketOf"/>): the pump computes it once for the four
    /// sketches a request's latency goes into (its model's, provider's, agent's and the totals').
    /// </summary>
    /// <param name="value">A latency, >= 0.</param>
    /// <param name="bucket"><see cref="BucketOf"/>(<paramref name="value"/>).</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Add(long value, int bucket)
    {
        if (value == 0)
        {
            _zeros++;
        }
        else
        {
            // One unsigned compare covers both ends of the range held.
            var slot = bucket - _offset;
            var counts = _counts;
            if ((uint)slot < (uint)counts.Length) counts[slot]++;
            else Increment(bucket, 1);
        }
        _count++;
        if (value < _min) _min = value;
        if (value > _max) _max = value;
    }

    /// <summary>p50, p90, p95 and p99, or null while empty.</summary>
    public LatencyPercentiles? Percentiles()
    {
        if (_count == 0) return null;
        Span<double> values = stackalloc double[4];
        Quantiles([0.5, 0.9, 0.95, 0.99], values);
        return new LatencyPercentiles(values[0], values[1], values[2], values[3]);
    }

    /// <summary>Adds every value of <paramref name="other"/>; <paramref name="other"/> is unchanged.</summary>
    public void Merge(LatencySketch other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other._count == 0) return;
        var theirs = other._counts;
        for (var i = 0; i < theirs.Length; i++)
        {
            if (theirs[i] != 0) Increment(other._offset + i, theirs[i]);
        }
        _zeros += other._zeros;
        _count += other._count;
        if (other._min < _min) _min = other._min;
        if (other._max > _max) _max = other._max;
    }

    /// <summary>
    /// The value of rank <c>floor(q × (Count − 1))</c> among the values added, in ascending order, within
    /// <see cref="RelativeAccuracy"/>; exact for zeros, <see cref="Min"/> and <see cref="Max"/>.
    /// </summary>
    /// <param name="q">The quantile, 0..1.</param>
    /// <exception cref="InvalidOperationException">The sketch is empty.</exception>
    public double Quantile(double q)
    {
        Span<double> result = stackalloc double[1];
        Quantiles([q], result);
        return result[0];
    }

    /// <summary>Several quantiles in one pass over the buckets.</summary>
    /// <param name="qs">Quantiles in ascending order, each 0..1.</param>
    /// <param name="results">Where their values go, same length.</param>
    /// <exception cref="InvalidOperationException">The sketch is empty.</exception>
    public void Quantiles(ReadOnlySpan<double> qs, Span<double> results)
    {
        if (_count == 0) throw new InvalidOperationException("An empty sketch has no quantiles.");
        Span<long> ranks = qs.Length <= 16 ? stackalloc long[qs.Length] : new long[qs.Length];
        for (var i = 0; i < qs.Length; i++) ranks[i] = Rank(qs[i]);
        var next = 0;
        var seen = _zeros;
        for (; next < qs.Length && ranks[next] < seen; next++) results[next] = 0;
        var counts = _counts;
        for (var i = 0; i < counts.Length && next < qs.Length; i++)
        {
            seen += counts[i];
            if (ranks[next] >= seen) continue;
            // Only the buckets a quantile lands in are priced: the power is the costly part of a pass.
            var value = Math.Clamp(Math.Pow(Gamma, _offset + i) * Representative, _min, _max);
            for (; next < qs.Length && ranks[next] < seen; next++) results[next] = value;
        }
        for (; next < qs.Length; next++) results[next] = _max;
        // The lowest and highest ranks are known exactly.
        for (var i = 0; i < qs.Length; i++)
        {
            if (ranks[i] == 0) results[i] = _min;
            else if (ranks[i] == _count - 1) results[i] = _max;
        }
    }

    /// <summary>
    /// The sketch as bytes, for the store's latency rollups: a format byte, then unsigned LEB128 varints of the zeros,
    /// the minimum, the maximum, the first occupied bucket (zig-zag: it can be negative), the number of buckets from it to
    /// the last occupied one, and each of their counts (empty ones included, one byte each). Only that range is written:
    /// a byte or two per bucket, about 350 buckets for latencies from 1 ms to 1 s and 2,200 for the whole range of a
    /// <see cref="long"/>, so a sketch of one key's hour is tens to hundreds of bytes and at most a few KB.
    /// </summary>
    public byte[] ToBytes()
    {
        int first = 0, last = -1;
        for (var i = 0; i < _counts.Length; i++)
        {
            if (_counts[i] == 0) continue;
            if (last < 0) first = i;
            last = i;
        }
        var buffer = new byte[1 + 10 * (5 + Math.Max(0, last - first + 1))];
        var at = 0;
        buffer[at++] = FormatVersion;
        at = WriteVarint(buffer, at, (ulong)_zeros);
        at = WriteVarint(buffer, at, _count == 0 ? 0 : (ulong)_min);
        at = WriteVarint(buffer, at, (ulong)_max);
        var start = _offset + first;
        at = WriteVarint(buffer, at, (ulong)((start << 1) ^ (start >> 31)));
        at = WriteVarint(buffer, at, (ulong)(last - first + 1));
        for (var i = first; i <= last; i++) at = WriteVarint(buffer, at, (ulong)_counts[i]);
        return buffer[..at];
    }

    /// <summary>Reads what <see cref="ToBytes"/> wrote.</summary>
    /// <param name="bytes">The stored form.</param>
    /// <exception cref="InvalidDataException">The bytes are not a sketch of this format (named in the message).</exception>
    public static LatencySketch FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty || bytes[0] != FormatVersion)
            throw new InvalidDataException($"a latency sketch starts with format byte {FormatVersion} (got {(bytes.IsEmpty ? "no bytes" : bytes[0].ToString(System.Globalization.CultureInfo.InvariantCulture))})");
        var at = 1;
        var sketch = new LatencySketch { _zeros = ReadCount(bytes, ref at, "zeros") };
        var min = ReadCount(bytes, ref at, "minimum");
        var max = ReadCount(bytes, ref at, "maximum");
        var zigzag = ReadVarint(bytes, ref at, "first bucket");
        var start = (long)(zigzag >> 1) ^ -(long)(zigzag & 1);
        var buckets = ReadVarint(bytes, ref at, "bucket count");
        if (start is < -MaxBucketIndex or > MaxBucketIndex || buckets > MaxBucketIndex || start + (long)buckets - 1 > MaxBucketIndex)
            throw new InvalidDataException($"a latency sketch's buckets lie within -{MaxBucketIndex}..{MaxBucketIndex} (got {buckets} from {start})");
        var total = sketch._zeros;
        if (buckets > 0)
        {
            sketch._counts = new long[(int)buckets];
            sketch._offset = (int)start;
            for (var i = 0; i < sketch._counts.Length; i++)
            {
                var n = ReadCount(bytes, ref at, "bucket count");
                sketch._counts[i] = n;
                total = total > long.MaxValue - n ? long.MaxValue : total + n;
            }
        }
        if (at != bytes.Length) throw new InvalidDataException($"a latency sketch of {bytes.Length} bytes ends after {at}");
        sketch._count = total;
        if (total > 0)
        {
            if (min > max) throw new InvalidDataException($"a latency sketch's minimum {min} is above its maximum {max}");
            sketch._min = min;
            sketch._max = max;
        }
        return sketch;
    }

    /// <summary>True when both sketches hold the same values (bucket by bucket, zeros, count, min and max).</summary>
    internal bool SameContentAs(LatencySketch other)
    {
        if (_count != other._count || _zeros != other._zeros || _min != other._min || _max != other._max) return false;
        var low = Math.Min(_offset, other._offset);
        var high = Math.Max(_offset + _counts.Length, other._offset + other._counts.Length);
        for (var index = low; index < high; index++)
        {
            if (At(index) != other.At(index)) return false;
        }
        return true;
    }

    private static int WriteVarint(byte[] buffer, int at, ulong value)
    {
        while (value >= 0x80)
        {
            buffer[at++] = (byte)(value | 0x80);
            value >>= 7;
        }
        buffer[at++] = (byte)value;
        return at;
    }

    private static ulong ReadVarint(ReadOnlySpan<byte> bytes, ref int at, string what)
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (at >= bytes.Length) throw new InvalidDataException($"a latency sketch ends inside its {what}");
            var b = bytes[at++];
            // The tenth byte holds only the 64th bit: anything more is a value no long has.
            if (shift == 63 && b > 1) break;
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return value;
        }
        throw new InvalidDataException($"a latency sketch's {what} is longer than 64 bits");
    }

    private static long ReadCount(ReadOnlySpan<byte> bytes, ref int at, string what)
    {
        var value = ReadVarint(bytes, ref at, what);
        if (value > long.MaxValue) throw new InvalidDataException($"a latency sketch's {what} {value} is above {long.MaxValue}");
        return (long)value;
    }

    private static ushort[] BuildSmallBuckets()
    {
        var buckets = new ushort[1 << 16];
        for (var value = 1; value < buckets.Length; value++) buckets[value] = (ushort)IndexOf(value);
        return buckets;
    }

    private long Rank(double q)
    {
        if (q is < 0 or > 1 || double.IsNaN(q)) throw new ArgumentOutOfRangeException(nameof(q), q, "A quantile lies in 0..1.");
        return (long)Math.Floor(q * (_count - 1));
    }

    private long At(int index) => index >= _offset && index < _offset + _counts.Length ? _counts[index - _offset] : 0;

    private void Increment(int index, long by)
    {
        if (index < _offset || index >= _offset + _counts.Length) Grow(index);
        _counts[index - _offset] += by;
    }

    private void Grow(int index)
    {
        if (_counts.Length == 0)
        {
            _counts = new long[Slack];
            _offset = index - Slack / 2;
            return;
        }
        // Grow towards the new index with some slack, so a slowly widening range does not copy on every value.
        var low = Math.Min(_offset, index - (index < _offset ? Slack : 0));
        var high = Math.Max(_offset + _counts.Length, index + 1 + (index >= _offset ? Slack : 0));
        var grown = new long[high - low];
        Array.Copy(_counts, 0, grown, _offset - low, _counts.Length);
        _counts = grown;
        _offset = low;
    }
}

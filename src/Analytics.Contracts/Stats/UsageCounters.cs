using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Text;

namespace Analytics.Contracts;

/// <summary>
/// One value per <see cref="UsageCounter"/>: the data of a usage row. A mutable value type so the pump can
/// accumulate a batch in place without allocating; <see cref="UsageRow"/> is its immutable, shareable form.
/// </summary>
/// <remarks>
/// Addition saturates at <see cref="long.MaxValue"/> (and <see cref="long.MinValue"/>) instead of wrapping,
/// so a huge or hostile count can pin a total at the ceiling but never turn it negative. Every counter has the
/// same ceiling, <see cref="long.MaxValue"/> (9,223,372,036,854,775,807): for money that is about 9.2 trillion USD.
/// </remarks>
public struct UsageCounters : IEquatable<UsageCounters>
{
    /// <summary>How many counters there are (the members of <see cref="UsageCounter"/>).</summary>
    public const int Count = (int)UsageCounter.TimeToFirstTokenSamples + 1;

    private static readonly string[] Names = BuildNames();
    private static readonly UsageCounter[] Members = Enum.GetValues<UsageCounter>();

    private Values _values;

    /// <summary>Every counter, in declaration (and JSON field) order.</summary>
    public static ReadOnlySpan<UsageCounter> All => Members;

    /// <summary>The value of one counter.</summary>
    /// <param name="counter">Which counter.</param>
    public long this[UsageCounter counter]
    {
        readonly get => _values[(int)counter];
        set => _values[(int)counter] = value;
    }

    /// <summary>The snake_case name of a counter as it appears in JSON reports and store columns (<c>cache_read_input_tokens</c>).</summary>
    /// <param name="counter">Which counter.</param>
    /// <returns>The name.</returns>
    public static string Name(UsageCounter counter) => Names[(int)counter];

    /// <summary>The counters of one completed request.</summary>
    /// <param name="usage">Its tokens (valid: see <see cref="TokenUsage.Validate"/>).</param>
    /// <param name="costMicros">Its cost.</param>
    /// <param name="unpriced">True when its model had no price and no cost was supplied.</param>
    /// <param name="durationMs">Its wall time, if measured.</param>
    /// <param name="timeToFirstTokenMs">Its time to first token, if measured.</param>
    /// <returns>The counters.</returns>
    public static UsageCounters ForCompleted(in TokenUsage usage, long costMicros, bool unpriced, long? durationMs, long? timeToFirstTokenMs)
    {
        // Set, not added: one request's values cannot overflow a counter that starts at 0.
        var c = default(UsageCounters);
        c._values[(int)UsageCounter.Requests] = 1;
        c._values[(int)UsageCounter.InputTokens] = usage.Input;
        c._values[(int)UsageCounter.OutputTokens] = usage.Output;
        c._values[(int)UsageCounter.CacheReadInputTokens] = usage.CacheRead;
        c._values[(int)UsageCounter.CacheCreationInputTokens] = usage.CacheCreation;
        c._values[(int)UsageCounter.ReasoningTokens] = usage.Reasoning;
        c._values[(int)UsageCounter.CostMicros] = costMicros;
        c._values[(int)UsageCounter.UnpricedRequests] = unpriced ? 1 : 0;
        c.SetTimings(durationMs, timeToFirstTokenMs);
        return c;
    }

    /// <summary>The counters of one failed request.</summary>
    /// <param name="durationMs">Its time until the failure, if measured.</param>
    /// <returns>The counters.</returns>
    public static UsageCounters ForFailed(long? durationMs)
    {
        var c = default(UsageCounters);
        c._values[(int)UsageCounter.Requests] = 1;
        c._values[(int)UsageCounter.Failed] = 1;
        c.SetTimings(durationMs, null);
        return c;
    }

    /// <summary>Adds one completed request in place (the pump's per-batch fold).</summary>
    /// <param name="usage">Its tokens.</param>
    /// <param name="costMicros">Its cost.</param>
    /// <param name="unpriced">True when it is unpriced.</param>
    /// <param name="durationMs">Its wall time, if measured.</param>
    /// <param name="timeToFirstTokenMs">Its time to first token, if measured.</param>
    public void AddCompleted(in TokenUsage usage, long costMicros, bool unpriced, long? durationMs, long? timeToFirstTokenMs)
    {
        Increment(UsageCounter.Requests, 1);
        Increment(UsageCounter.InputTokens, usage.Input);
        Increment(UsageCounter.OutputTokens, usage.Output);
        Increment(UsageCounter.CacheReadInputTokens, usage.CacheRead);
        Increment(UsageCounter.CacheCreationInputTokens, usage.CacheCreation);
        Increment(UsageCounter.ReasoningTokens, usage.Reasoning);
        Increment(UsageCounter.CostMicros, costMicros);
        if (unpriced) Increment(UsageCounter.UnpricedRequests, 1);
        AddTimings(durationMs, timeToFirstTokenMs);
    }

    /// <summary>Adds one failed request in place.</summary>
    /// <param name="durationMs">Its time until the failure, if measured.</param>
    public void AddFailed(long? durationMs)
    {
        Increment(UsageCounter.Requests, 1);
        Increment(UsageCounter.Failed, 1);
        AddTimings(durationMs, null);
    }

    /// <summary>Adds every counter of <paramref name="other"/> in place, saturating.</summary>
    /// <param name="other">The counters to add.</param>
    /// <remarks>
    /// The pump adds each request to four rows (model, provider, agent, totals), so this runs four times per event: four
    /// counters at a time where the hardware has 256-bit vectors, with the same saturation per lane as
    /// <see cref="SaturatingAdd"/>.
    /// </remarks>
    public void Add(in UsageCounters other)
    {
        ref var a = ref Unsafe.As<Values, long>(ref _values);
        ref var b = ref Unsafe.As<Values, long>(ref Unsafe.AsRef(in other._values));
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i + Vector256<long>.Count <= Count; i += Vector256<long>.Count)
            {
                var x = Vector256.LoadUnsafe(ref a, (nuint)i);
                var y = Vector256.LoadUnsafe(ref b, (nuint)i);
                var sum = x + y;
                // Lanes that overflowed (both operands share a sign the sum does not) pin at the ceiling of x's sign.
                var overflowed = Vector256.LessThan((x ^ sum) & (y ^ sum), Vector256<long>.Zero);
                var ceiling = Vector256.ShiftRightArithmetic(x, 63) ^ Vector256.Create(long.MaxValue);
                Vector256.ConditionalSelect(overflowed, ceiling, sum).StoreUnsafe(ref a, (nuint)i);
            }
        }
        for (; i < Count; i++) Unsafe.Add(ref a, i) = SaturatingAdd(Unsafe.Add(ref a, i), Unsafe.Add(ref b, i));
    }

    /// <summary>Adds <paramref name="amount"/> to one counter, saturating.</summary>
    /// <param name="counter">Which counter.</param>
    /// <param name="amount">How much.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Increment(UsageCounter counter, long amount)
    {
        ref var v = ref _values[(int)counter];
        v = SaturatingAdd(v, amount);
    }

    /// <summary>Counter-by-counter sum, saturating.</summary>
    /// <param name="a">Left.</param>
    /// <param name="b">Right.</param>
    /// <returns>The sum.</returns>
    public static UsageCounters operator +(UsageCounters a, UsageCounters b)
    {
        a.Add(b);
        return a;
    }

    /// <summary>True when every counter is 0.</summary>
    public readonly bool IsZero
    {
        get
        {
            for (var i = 0; i < Count; i++)
            {
                if (_values[i] != 0) return false;
            }
            return true;
        }
    }

    /// <inheritdoc />
    public readonly bool Equals(UsageCounters other)
    {
        for (var i = 0; i < Count; i++)
        {
            if (_values[i] != other._values[i]) return false;
        }
        return true;
    }

    /// <inheritdoc />
    public override readonly bool Equals(object? obj) => obj is UsageCounters other && Equals(other);

    /// <inheritdoc />
    public override readonly int GetHashCode()
    {
        var hash = new HashCode();
        for (var i = 0; i < Count; i++) hash.Add(_values[i]);
        return hash.ToHashCode();
    }

    /// <summary>Equality of every counter.</summary>
    /// <param name="left">Left.</param>
    /// <param name="right">Right.</param>
    /// <returns>True when equal.</returns>
    public static bool operator ==(UsageCounters left, UsageCounters right) => left.Equals(right);

    /// <summary>Inequality of any counter.</summary>
    /// <param name="left">Left.</param>
    /// <param name="right">Right.</param>
    /// <returns>True when different.</returns>
    public static bool operator !=(UsageCounters left, UsageCounters right) => !left.Equals(right);

    /// <inheritdoc />
    public override readonly string ToString()
    {
        var sb = new StringBuilder("{");
        for (var i = 0; i < Count; i++)
        {
            if (i > 0) sb.Append(", ");
            sb.Append(Names[i]).Append('=').Append(_values[i]);
        }
        return sb.Append('}').ToString();
    }

    /// <summary>Addition that pins at the ceiling instead of wrapping around.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static long SaturatingAdd(long a, long b)
    {
        var sum = unchecked(a + b);
        // Overflow happened when both operands share a sign the sum does not.
        return ((a ^ sum) & (b ^ sum)) < 0 ? (a < 0 ? long.MinValue : long.MaxValue) : sum;
    }

    private static string[] BuildNames()
    {
        var names = new string[Count];
        foreach (var counter in Enum.GetValues<UsageCounter>()) names[(int)counter] = SnakeCase(counter.ToString());
        return names;
    }

    private static string SnakeCase(string pascal)
    {
        var sb = new StringBuilder(pascal.Length + 8);
        for (var i = 0; i < pascal.Length; i++)
        {
            var ch = pascal[i];
            if (char.IsUpper(ch))
            {
                if (i > 0) sb.Append('_');
                sb.Append(char.ToLowerInvariant(ch));
            }
            else
            {
                sb.Append(ch);
            }
        }
        return sb.ToString();
    }

    private void SetTimings(long? durationMs, long? timeToFirstTokenMs)
    {
        if (durationMs is { } d)
        {
            _values[(int)UsageCounter.DurationMsSum] = d;
            _values[(int)UsageCounter.DurationSamples] = 1;
        }
        if (timeToFirstTokenMs is { } t)
        {
            _values[(int)UsageCounter.TimeToFirstTokenMsSum] = t;
            _values[(int)UsageCounter.TimeToFirstTokenSamples] = 1;
        }
    }

    private void AddTimings(long? durationMs, long? timeToFirstTokenMs)
    {
        if (durationMs is { } d)
        {
            Increment(UsageCounter.DurationMsSum, d);
            Increment(UsageCounter.DurationSamples, 1);
        }
        if (timeToFirstTokenMs is { } t)
        {
            Increment(UsageCounter.TimeToFirstTokenMsSum, t);
            Increment(UsageCounter.TimeToFirstTokenSamples, 1);
        }
    }

    [InlineArray(Count)]
    private struct Values
    {
        private long _first;
    }
}

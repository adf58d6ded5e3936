using System.Collections.Immutable;
using System.Globalization;
using Analytics.Contracts;

namespace Analytics.Actors.Budgets;

/// <summary>A validated budget: what it counts, its window, its limit in micros and its thresholds (ascending, distinct).</summary>
/// <param name="Name">The configuration key.</param>
/// <param name="Scope">What the value names.</param>
/// <param name="Value">The agent, model or canonical provider, or <see cref="Everything"/>.</param>
/// <param name="Window">The period.</param>
/// <param name="LimitMicros">The limit, > 0.</param>
/// <param name="Thresholds">Percentages, ascending, distinct, 1..1000, at most 32.</param>
internal sealed record BudgetDefinition(string Name, BudgetScope Scope, string Value, BudgetWindow Window, long LimitMicros, int[] Thresholds)
{
    /// <summary>The scope value that counts every request.</summary>
    public const string Everything = "*";

    /// <summary>True when the budget counts every request.</summary>
    public bool CountsEverything => Value == Everything;

    /// <summary>The thresholds as handed out in statuses.</summary>
    public ImmutableArray<int> ThresholdList { get; } = [.. Thresholds];

    /// <summary>
    /// What identifies the budget's meaning, stored with each recorded crossing: a crossing recorded under another scope,
    /// window or limit (the configuration changed) is not taken as this budget's, so a raised limit is judged afresh.
    /// </summary>
    public string Signature { get; } = string.Create(CultureInfo.InvariantCulture, $"{Scope.ToString().ToLowerInvariant()}={Value};{Window.ToString().ToLowerInvariant()};{LimitMicros}");

    /// <summary>True when <paramref name="spentMicros"/> reached <paramref name="percent"/> of the limit (exact, in 128 bits).</summary>
    public bool Reached(long spentMicros, int percent) => (Int128)spentMicros * 100 >= (Int128)LimitMicros * percent;

    /// <summary>The bit of <paramref name="percent"/> in a crossed-thresholds mask, or 0 when it is not one of this budget's thresholds.</summary>
    public uint Bit(int percent)
    {
        var i = Array.IndexOf(Thresholds, percent);
        return i < 0 ? 0 : 1u << i;
    }

    /// <summary>The thresholds of <paramref name="mask"/>, ascending.</summary>
    public ImmutableArray<int> Crossed(uint mask)
    {
        if (mask == 0) return [];
        var builder = ImmutableArray.CreateBuilder<int>();
        for (var i = 0; i < Thresholds.Length; i++)
        {
            if ((mask & (1u << i)) != 0) builder.Add(Thresholds[i]);
        }
        return builder.ToImmutable();
    }
}

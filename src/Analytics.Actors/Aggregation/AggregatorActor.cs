using System.Collections.Immutable;
using Akka.Actor;
using Analytics.Contracts;

namespace Analytics.Actors.Aggregation;

/// <summary>
/// Owns the rows of one breakdown (every model, every provider, or every agent: its <see cref="BreakdownRows"/>, one
/// <see cref="KeyAccumulator"/> per key and the immutable view of them that stats hand out). The pump tells it one
/// <see cref="Fold"/> per drained batch that touched the breakdown, with one delta per key and the latencies of its
/// requests; it tells the pump how far it has folded through an <see cref="AggregatorProgress"/>, and answers with its view
/// when the pump asks for a report.
/// </summary>
/// <remarks>
/// <para>One actor per breakdown, not per key: the pump sums a batch per key before handing it over, so an aggregator
/// gets one message per batch however many keys and events the batch held, and a stats Ask waits for at most three
/// answers (the design before issue 13 had an actor per key and an Ask waited for one round trip per changed key).</para>
/// <para>Each row keeps latency sketches for its percentiles, counted from the batch's <see cref="LatencyEntry"/>s whose
/// buckets the pump computed once. Every request has exactly one model, so the model aggregator also keeps the totals'
/// sketches and reports their percentiles, which costs the pump nothing.</para>
/// <para>It runs on the aggregators' own dispatcher (<see cref="AggregatorDispatcher"/>) unless the pump runs on the thread
/// pool, so producers holding every thread-pool thread cannot starve it.</para>
/// </remarks>
internal sealed class AggregatorActor : UntypedActor
{
    private readonly BreakdownRows _rows;
    private readonly AggregatorProgress _progress;

    public AggregatorActor(StatsDimension dimension, AggregatorProgress progress)
    {
        _rows = new BreakdownRows(dimension);
        _progress = progress;
    }

    /// <summary>Props for the aggregator of <paramref name="dimension"/>.</summary>
    /// <param name="dimension">The breakdown it owns.</param>
    /// <param name="progress">Where it tells the pump how far it has folded.</param>
    /// <param name="dispatcher">The dispatcher to run on, or null for the system's default.</param>
    public static Props CreateProps(StatsDimension dimension, AggregatorProgress progress, string? dispatcher)
    {
        var props = Props.Create(() => new AggregatorActor(dimension, progress));
        return dispatcher is null ? props : props.WithDispatcher(dispatcher);
    }

    /// <summary>The child name of the aggregator of <paramref name="dimension"/> under the pump: <c>model-aggregator</c>, ...</summary>
    public static string Name(StatsDimension dimension) => $"{dimension.ToString().ToLowerInvariant()}-aggregator";

    /// <summary>
    /// One batch's share for this breakdown, and whether to answer with a <see cref="Folded"/>. The batch is handed over:
    /// the sender no longer touches it, and the aggregator releases it when done.
    /// </summary>
    /// <param name="Sequence">Numbers the folds sent to this aggregator, 1, 2, ...; a report names the last one it includes.</param>
    /// <param name="Batch">The batch, or null for a report request alone.</param>
    /// <param name="Report">Answer with the view once the batch is added.</param>
    public sealed record Fold(long Sequence, FoldBatch? Batch, bool Report);

    /// <summary>The view after every fold up to <paramref name="Sequence"/>.</summary>
    /// <param name="Dimension">Which breakdown.</param>
    /// <param name="Sequence">The last fold it includes.</param>
    /// <param name="View">Every row of the breakdown.</param>
    /// <param name="TotalDurations">From the model aggregator: the durations' percentiles over all requests, or null.</param>
    /// <param name="TotalTimesToFirstToken">From the model aggregator: the times to first token's, or null.</param>
    public sealed record Folded(StatsDimension Dimension, long Sequence, ImmutableDictionary<string, UsageRow> View,
        LatencyPercentiles? TotalDurations = null, LatencyPercentiles? TotalTimesToFirstToken = null);

    /// <inheritdoc />
    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case Fold fold:
                if (fold.Batch is { } batch)
                {
                    _rows.Add(batch);
                    batch.Release();
                }
                _progress.Advance(fold.Sequence);
                if (fold.Report) Sender.Tell(_rows.Report(fold.Sequence));
                break;
            default:
                Unhandled(message);
                break;
        }
    }
}

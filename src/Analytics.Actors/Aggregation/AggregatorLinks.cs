using System.Collections.Immutable;
using Akka.Actor;
using Analytics.Contracts;

namespace Analytics.Actors.Aggregation;

/// <summary>
/// The pump's side of its three aggregators (model, provider, agent): their actors, the sequence number of the last fold
/// sent to each, and the last report each sent back. Pump only.
/// </summary>
/// <remarks>
/// Folds are not answered one by one (that would wake the pump once per batch and aggregator): a fold asks for a report
/// when a stats Ask needs one, and every <see cref="ReportEvery"/> folds otherwise, so that the pump knows how far behind
/// an aggregator is and can stop handing it batches past <see cref="MaxUnreported"/> (batches in flight are memory).
/// </remarks>
internal sealed class AggregatorLinks
{
    /// <summary>Without an Ask, a fold asks for a report this often.</summary>
    public const int ReportEvery = 4;

    /// <summary>Folds an aggregator may be behind its last report before the pump stops draining for it.</summary>
    public const int MaxUnreported = 16;

    private const int Dimensions = 3;

    private static readonly ImmutableDictionary<string, UsageRow> EmptyView = ImmutableDictionary.Create<string, UsageRow>(StringComparer.Ordinal);

    private readonly IActorRef[] _actors = new IActorRef[Dimensions];
    private readonly long[] _sent = new long[Dimensions];
    private readonly long[] _requested = new long[Dimensions];
    private readonly AggregatorActor.Folded[] _latest = new AggregatorActor.Folded[Dimensions];

    /// <summary>Links to running aggregators.</summary>
    /// <param name="actors">The aggregators of the model, provider and agent breakdowns, in <see cref="StatsDimension"/> order.</param>
    public AggregatorLinks(IReadOnlyList<IActorRef> actors)
    {
        if (actors.Count != Dimensions) throw new ArgumentException($"One aggregator per breakdown ({Dimensions}), got {actors.Count}.", nameof(actors));
        for (var d = 0; d < Dimensions; d++)
        {
            _actors[d] = actors[d];
            _latest[d] = new AggregatorActor.Folded((StatsDimension)d, 0, EmptyView);
        }
    }

    /// <summary>Starts the three aggregators as children of <paramref name="context"/>'s actor and links to them.</summary>
    /// <param name="context">The pump's context.</param>
    /// <param name="dispatcher">Their dispatcher, or null for the system's default.</param>
    public static AggregatorLinks Start(IUntypedActorContext context, string? dispatcher)
    {
        var actors = new IActorRef[Dimensions];
        for (var d = 0; d < Dimensions; d++)
        {
            var dimension = (StatsDimension)d;
            actors[d] = context.ActorOf(AggregatorActor.CreateProps(dimension, dispatcher), AggregatorActor.Name(dimension));
        }
        return new AggregatorLinks(actors);
    }

    /// <summary>True when an aggregator is so far behind that the pump should not hand it more until it reports.</summary>
    public bool Throttled
    {
        get
        {
            for (var d = 0; d < Dimensions; d++)
            {
                if (_sent[d] - _latest[d].Sequence >= MaxUnreported) return true;
            }
            return false;
        }
    }

    /// <summary>The latest report of <paramref name="dimension"/>.</summary>
    public AggregatorActor.Folded Latest(StatsDimension dimension) => _latest[(int)dimension];

    /// <summary>
    /// Hands <paramref name="batch"/> to the aggregator of each breakdown it touched, each asked for a report when
    /// <paramref name="report"/> is set (an Ask waits) or its turn came.
    /// </summary>
    public void Send(FoldBatch batch, bool report, IActorRef self)
    {
        var readers = 0;
        for (var d = 0; d < Dimensions; d++)
        {
            if (batch.Touches((StatsDimension)d)) readers++;
        }
        // Before the first Tell: an aggregator may finish with it before the next one is told.
        batch.HandOver(readers);
        for (var d = 0; d < Dimensions; d++)
        {
            if (!batch.Touches((StatsDimension)d)) continue;
            var sequence = ++_sent[d];
            var ask = report || sequence - _requested[d] >= ReportEvery;
            if (ask) _requested[d] = sequence;
            _actors[d].Tell(new AggregatorActor.Fold(sequence, batch, ask), self);
        }
    }

    /// <summary>
    /// For a stats Ask: asks every aggregator whose view is behind what it was sent, and not asked already, for a report,
    /// and returns, per breakdown, the sequence number whose report the Ask needs.
    /// </summary>
    public long[] RequestReports(IActorRef self)
    {
        for (var d = 0; d < Dimensions; d++)
        {
            if (_latest[d].Sequence == _sent[d] || _requested[d] == _sent[d]) continue;
            var sequence = ++_sent[d];
            _requested[d] = sequence;
            _actors[d].Tell(new AggregatorActor.Fold(sequence, null, Report: true), self);
        }
        return (long[])_sent.Clone();
    }

    /// <summary>Takes a report in (reports come back in the order their folds were sent).</summary>
    public void Record(AggregatorActor.Folded report)
    {
        var d = (int)report.Dimension;
        if (report.Sequence > _latest[d].Sequence) _latest[d] = report;
    }
}

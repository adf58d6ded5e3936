using System.Collections.Immutable;
using Akka.Actor;
using Analytics.Contracts;

namespace Analytics.Actors.Aggregation;

/// <summary>
/// The pump's side of its three aggregators (model, provider, agent): their actors, the sequence number of the last fold
/// sent to each, how far each has folded, and the last report each sent back. Pump only.
/// </summary>
/// <remarks>
/// Folds are not answered (that would wake the pump once per batch and aggregator): a fold asks for a report only when a
/// stats Ask needs one. How far an aggregator has folded the pump reads from its <see cref="AggregatorProgress"/>
/// instead, so that it can stop handing over batches to one <see cref="MaxInFlight"/> folds behind (batches in flight
/// are memory); it then asks for a report, whose arrival tells it to go on.
/// </remarks>
internal sealed class AggregatorLinks
{
    /// <summary>Folds an aggregator may have waiting before the pump stops draining for it.</summary>
    public const int MaxInFlight = 16;

    private const int Dimensions = 3;

    private static readonly ImmutableDictionary<string, UsageRow> EmptyView = ImmutableDictionary.Create<string, UsageRow>(StringComparer.Ordinal);

    private readonly IActorRef[] _actors = new IActorRef[Dimensions];
    private readonly AggregatorProgress[] _progress = new AggregatorProgress[Dimensions];
    private readonly long[] _sent = new long[Dimensions];
    private readonly long[] _requested = new long[Dimensions];
    private readonly AggregatorActor.Folded[] _latest = new AggregatorActor.Folded[Dimensions];

    /// <summary>Links to running aggregators.</summary>
    /// <param name="actors">The aggregators of the model, provider and agent breakdowns, in <see cref="StatsDimension"/> order.</param>
    /// <param name="progress">What each of them has folded, in the same order.</param>
    public AggregatorLinks(IReadOnlyList<IActorRef> actors, IReadOnlyList<AggregatorProgress> progress)
    {
        if (actors.Count != Dimensions || progress.Count != Dimensions)
            throw new ArgumentException($"One aggregator per breakdown ({Dimensions}), got {actors.Count} and {progress.Count} progress counters.", nameof(actors));
        for (var d = 0; d < Dimensions; d++)
        {
            _actors[d] = actors[d];
            _progress[d] = progress[d];
            _latest[d] = new AggregatorActor.Folded((StatsDimension)d, 0, EmptyView);
        }
    }

    /// <summary>Starts the three aggregators as children of <paramref name="context"/>'s actor and links to them.</summary>
    /// <param name="context">The pump's context.</param>
    /// <param name="dispatcher">Their dispatcher, or null for the system's default.</param>
    public static AggregatorLinks Start(IUntypedActorContext context, string? dispatcher)
    {
        var actors = new IActorRef[Dimensions];
        var progress = new AggregatorProgress[Dimensions];
        for (var d = 0; d < Dimensions; d++)
        {
            var dimension = (StatsDimension)d;
            progress[d] = new AggregatorProgress();
            actors[d] = context.ActorOf(AggregatorActor.CreateProps(dimension, progress[d], dispatcher), AggregatorActor.Name(dimension));
        }
        return new AggregatorLinks(actors, progress);
    }

    /// <summary>True when an aggregator is so far behind that the pump should not hand it more until it reports.</summary>
    public bool Throttled
    {
        get
        {
            for (var d = 0; d < Dimensions; d++)
            {
                if (_sent[d] - _progress[d].Folded >= MaxInFlight) return true;
            }
            return false;
        }
    }

    /// <summary>The latest report of <paramref name="dimension"/>.</summary>
    public AggregatorActor.Folded Latest(StatsDimension dimension) => _latest[(int)dimension];

    /// <summary>
    /// Hands <paramref name="batch"/> to the aggregator of each breakdown it touched, each asked for a report when
    /// <paramref name="report"/> is set (an Ask waits).
    /// </summary>
    public void Send(FoldBatch batch, bool report, IActorRef self)
    {
        // Which breakdowns it touches, read once before the first Tell: after that the batch belongs to its readers, and
        // the last one to finish clears it.
        var touched = 0;
        var readers = 0;
        for (var d = 0; d < Dimensions; d++)
        {
            if (!batch.Touches((StatsDimension)d)) continue;
            touched |= 1 << d;
            readers++;
        }
        batch.HandOver(readers);
        for (var d = 0; d < Dimensions; d++)
        {
            if ((touched & (1 << d)) == 0) continue;
            var sequence = ++_sent[d];
            if (report) _requested[d] = sequence;
            _actors[d].Tell(new AggregatorActor.Fold(sequence, batch, report), self);
        }
    }

    /// <summary>
    /// Asks every aggregator whose last report is behind what it was sent, and not asked already, for a report (for a
    /// stats Ask, or to hear when a throttled one caught up), and returns, per breakdown, the sequence number of the report
    /// that covers everything sent so far.
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

/// <summary>
/// The sequence number of the last fold an aggregator has added: written by the aggregator after each fold, read by the
/// pump to know how many batches are still in flight, without a message back per fold.
/// </summary>
internal sealed class AggregatorProgress
{
    private long _folded;

    /// <summary>The last fold added.</summary>
    public long Folded => Volatile.Read(ref _folded);

    /// <summary>Aggregator only: fold <paramref name="sequence"/> is added.</summary>
    public void Advance(long sequence) => Volatile.Write(ref _folded, sequence);
}

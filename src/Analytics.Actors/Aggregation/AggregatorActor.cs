using Akka.Actor;
using Analytics.Contracts;

namespace Analytics.Actors.Aggregation;

/// <summary>
/// Owns the running usage of one key (one model, one provider or one agent). The pump tells it one <see cref="Fold"/>
/// per drained batch that touched the key; it adds the delta and answers the sender with its new row, which is how
/// the stats read the aggregators' state without a scatter-gather per query.
/// </summary>
internal sealed class AggregatorActor : ReceiveActor
{
    private readonly StatsDimension _dimension;
    private readonly string _key;
    private UsageCounters _counters;

    public AggregatorActor(StatsDimension dimension, string key)
    {
        _dimension = dimension;
        _key = key;
        Receive<Fold>(Handle);
    }

    /// <summary>Props for the aggregator of <paramref name="key"/> in <paramref name="dimension"/>.</summary>
    public static Props CreateProps(StatsDimension dimension, string key) => Props.Create(() => new AggregatorActor(dimension, key));

    private void Handle(Fold fold)
    {
        _counters.Add(fold.Delta);
        Sender.Tell(new Folded(_dimension, _key, new UsageRow(_counters)));
    }

    /// <summary>A batch's usage for this key.</summary>
    /// <param name="Delta">Usage to add.</param>
    public sealed record Fold(UsageCounters Delta);

    /// <summary>The key's row after a fold.</summary>
    /// <param name="Dimension">Which breakdown.</param>
    /// <param name="Key">The key.</param>
    /// <param name="Row">The running row.</param>
    public sealed record Folded(StatsDimension Dimension, string Key, UsageRow Row);
}

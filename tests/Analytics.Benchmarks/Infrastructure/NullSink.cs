using Analytics.Actors.Ingress;

namespace Analytics.Benchmarks.Infrastructure;

/// <summary>A consumer that reads what a fold reads first (the model) and keeps nothing: the ring's own cost, no folding.</summary>
internal struct NullSink : IIngressSink
{
    public long Checksum;

    public void Fold(in IngressRecord record) => Checksum += record.InputTokens + record.Model!.Length;
}

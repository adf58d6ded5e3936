using Analytics.Actors.Ingress;

namespace Analytics.Tests.Ingress;

/// <summary>A consumer for ring specs: keeps a copy of every record it is handed (a slot is only valid during the call).</summary>
internal readonly struct CollectingSink() : IIngressSink
{
    public List<IngressRecord> Records { get; } = [];

    public void Fold(in IngressRecord record) => Records.Add(record);
}

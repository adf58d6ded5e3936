using System.Runtime.InteropServices;
using Analytics.Benchmarks.Infrastructure;

namespace Analytics.Benchmarks.Peers;

/// <summary>
/// The simplest thing that works: one lock (the .NET 9+ <see cref="Lock"/>) around plain dictionaries
/// of struct rows per model and per provider, plus the totals.
/// </summary>
internal sealed class LockedDictionaryPeer : IUsagePeer
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Row> _byModel = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Row> _byProvider = new(StringComparer.Ordinal);
    private Row _totals;

    public void Record(in Request request)
    {
        lock (_gate)
        {
            _totals.Add(request);
            CollectionsMarshal.GetValueRefOrAddDefault(_byModel, request.Model, out _).Add(request);
            CollectionsMarshal.GetValueRefOrAddDefault(_byProvider, request.Provider, out _).Add(request);
        }
    }

    public void RecordRange(int start, int count)
    {
        var requests = Workload.Requests;
        for (var i = start; i < start + count; i++) Record(requests[i & Workload.Mask]);
    }

    public long CountedRequests()
    {
        lock (_gate)
        {
            long byModel = 0;
            foreach (var (_, row) in _byModel) byModel += row.Requests;
            if (byModel != _totals.Requests) throw new InvalidOperationException($"per-model requests {byModel} != total {_totals.Requests}");
            return _totals.Requests;
        }
    }

    public void Dispose() { }

    private struct Row
    {
        public long Requests, InputTokens, OutputTokens, CostMicros;

        public void Add(in Request r)
        {
            Requests++;
            InputTokens += r.InputTokens;
            OutputTokens += r.OutputTokens;
            CostMicros += r.CostMicros;
        }
    }
}

using System.Collections.Concurrent;
using Analytics.Benchmarks.Infrastructure;

namespace Analytics.Benchmarks.Peers;

/// <summary>
/// The reference crate's design in C#: atomic totals plus a concurrent map per model and per provider
/// whose entries are atomic counters (its DashMap + AtomicU64), all updated on the caller's thread.
/// The crate also pushes each event into its ring; that part is left out here, which only helps this peer.
/// </summary>
internal sealed class ConcurrentDictionaryPeer : IUsagePeer
{
    private readonly Counters _totals = new();
    private readonly ConcurrentDictionary<string, Counters> _byModel = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Counters> _byProvider = new(StringComparer.Ordinal);

    public void Record(in Request request)
    {
        _totals.Add(request);
        _byModel.GetOrAdd(request.Model, static _ => new Counters()).Add(request);
        _byProvider.GetOrAdd(request.Provider, static _ => new Counters()).Add(request);
    }

    public void RecordRange(int start, int count)
    {
        var requests = Workload.Requests;
        for (var i = start; i < start + count; i++) Record(requests[i & Workload.Mask]);
    }

    public long CountedRequests()
    {
        long byModel = 0;
        foreach (var (_, c) in _byModel) byModel += Volatile.Read(ref c.Requests);
        var total = Volatile.Read(ref _totals.Requests);
        if (byModel != total) throw new InvalidOperationException($"per-model requests {byModel} != total {total}");
        return total;
    }

    public void Dispose() { }

    private sealed class Counters
    {
        public long Requests, InputTokens, OutputTokens, CostMicros;

        public void Add(in Request r)
        {
            Interlocked.Increment(ref Requests);
            Interlocked.Add(ref InputTokens, r.InputTokens);
            Interlocked.Add(ref OutputTokens, r.OutputTokens);
            Interlocked.Add(ref CostMicros, r.CostMicros);
        }
    }
}

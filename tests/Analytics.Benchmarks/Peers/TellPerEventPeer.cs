using Akka.Actor;
using Akka.Configuration;
using Analytics.Benchmarks.Infrastructure;

namespace Analytics.Benchmarks.Peers;

/// <summary>
/// The naive actor design: one message per request, Told to an aggregator actor that folds it into
/// totals and per-model and per-provider rows. The caller pays for a message allocation and a mailbox
/// enqueue; the fold runs on the dispatcher.
/// </summary>
internal sealed class TellPerEventPeer : IUsagePeer
{
    private readonly ActorSystem _system;
    private readonly IActorRef _aggregator;

    public TellPerEventPeer()
    {
        _system = ActorSystem.Create("tell-peer", Hocon.Quiet);
        _aggregator = _system.ActorOf(Props.Create(() => new PeerAggregatorActor()), "aggregator");
    }

    public IActorRef Aggregator => _aggregator;

    public void Record(in Request request) =>
        _aggregator.Tell(new RequestCompleted(request.Model, request.Provider, request.InputTokens, request.OutputTokens, request.CostMicros));

    public void RecordRange(int start, int count)
    {
        var requests = Workload.Requests;
        for (var i = start; i < start + count; i++) Record(requests[i & Workload.Mask]);
    }

    public long CountedRequests() => Ask();

    /// <summary>The mailbox is FIFO: the reply comes after every message Told before the Ask.</summary>
    public long Ask() => _aggregator.Ask<PeerStats>(GetPeerStats.Instance, TimeSpan.FromSeconds(60)).GetAwaiter().GetResult().Requests;

    public PeerStats AskStats() => _aggregator.Ask<PeerStats>(GetPeerStats.Instance, TimeSpan.FromSeconds(60)).GetAwaiter().GetResult();

    public void Dispose() => _system.Terminate().Wait(TimeSpan.FromSeconds(10));

    internal sealed record RequestCompleted(string Model, string Provider, long InputTokens, long OutputTokens, long CostMicros);

    internal sealed record RequestWithAgent(string Model, string Provider, string Agent, long InputTokens, long OutputTokens, long CostMicros);

    internal sealed class GetPeerStats
    {
        public static readonly GetPeerStats Instance = new();
    }

    /// <summary>An immutable snapshot, as a stats query must hand out (the actor's dictionaries are its own).</summary>
    internal sealed record PeerStats(long Requests, IReadOnlyDictionary<string, PeerRow> ByModel, IReadOnlyDictionary<string, PeerRow> ByProvider, IReadOnlyDictionary<string, PeerRow> ByAgent);

    internal readonly record struct PeerRow(long Requests, long InputTokens, long OutputTokens, long CostMicros)
    {
        public PeerRow Add(long input, long output, long cost) => new(Requests + 1, InputTokens + input, OutputTokens + output, CostMicros + cost);
    }

    private sealed class PeerAggregatorActor : ReceiveActor
    {
        private readonly Dictionary<string, PeerRow> _byModel = new(StringComparer.Ordinal);
        private readonly Dictionary<string, PeerRow> _byProvider = new(StringComparer.Ordinal);
        private readonly Dictionary<string, PeerRow> _byAgent = new(StringComparer.Ordinal);
        private PeerRow _totals;

        public PeerAggregatorActor()
        {
            Receive<RequestCompleted>(r => Fold(r.Model, r.Provider, null, r.InputTokens, r.OutputTokens, r.CostMicros));
            Receive<RequestWithAgent>(r => Fold(r.Model, r.Provider, r.Agent, r.InputTokens, r.OutputTokens, r.CostMicros));
            Receive<GetPeerStats>(_ => Sender.Tell(new PeerStats(_totals.Requests,
                System.Collections.Immutable.ImmutableDictionary.CreateRange(StringComparer.Ordinal, _byModel),
                System.Collections.Immutable.ImmutableDictionary.CreateRange(StringComparer.Ordinal, _byProvider),
                System.Collections.Immutable.ImmutableDictionary.CreateRange(StringComparer.Ordinal, _byAgent))));
        }

        private void Fold(string model, string provider, string? agent, long input, long output, long cost)
        {
            _totals = _totals.Add(input, output, cost);
            Update(_byModel, model, input, output, cost);
            Update(_byProvider, provider, input, output, cost);
            if (agent is not null) Update(_byAgent, agent, input, output, cost);
        }

        private static void Update(Dictionary<string, PeerRow> map, string key, long input, long output, long cost)
        {
            ref var row = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(map, key, out _);
            row = row.Add(input, output, cost);
        }
    }
}

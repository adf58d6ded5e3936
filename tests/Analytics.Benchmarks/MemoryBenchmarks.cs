using System.Collections.Concurrent;
using Akka.Actor;
using Analytics.Actors;
using Analytics.Benchmarks.Infrastructure;
using Analytics.Benchmarks.Peers;
using Analytics.Contracts;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;

namespace Analytics.Benchmarks;

/// <summary>
/// Memory held for a buffer of 10,000 events (the reference crate's default, which it says
/// takes 2-5 MB). Allocated is the footprint; B/event divides it by the 10,000 events.
/// </summary>
/// <remarks>
/// Our recorder allocates its whole ring up front and recording allocates nothing, so the constructor's
/// allocation is the footprint, full or empty. The peers hold 10,000 events the way an unbounded design
/// does: one object per event (the crate's event queue holds one event value per slot; the naive actor's
/// mailbox holds one message per event in a concurrent queue). Their footprint grows with the backlog
/// and has no bound; ours is fixed. Model and provider strings are shared by every design, so they are
/// not counted anywhere. <c>--sizes</c> prints the per-slot arithmetic.
/// </remarks>
[Config(typeof(Cfg))]
public class MemoryBenchmarks
{
    public const int Buffered = 10_000;

    [Benchmark(Baseline = true)]
    public UsageRecorder Ours_DefaultRecorder() => new();

    /// <summary>Each event as the contract's record, in a bounded array like the crate's queue.</summary>
    [Benchmark]
    public LlmRequestCompleted[] EventObjects_10k()
    {
        var events = new LlmRequestCompleted[Buffered];
        for (var i = 0; i < events.Length; i++)
        {
            ref readonly var r = ref Workload.Requests[i & Workload.Mask];
            events[i] = new LlmRequestCompleted { Model = r.Model, Provider = r.Provider, InputTokens = r.InputTokens, OutputTokens = r.OutputTokens, CostMicros = r.CostMicros };
        }
        return events;
    }

    /// <summary>A mailbox backlog: one message object per event in the concurrent queue Akka's default mailbox uses.</summary>
    [Benchmark]
    public ConcurrentQueue<Envelope> AkkaTellPerEvent_Mailbox10k()
    {
        var queue = new ConcurrentQueue<Envelope>();
        for (var i = 0; i < Buffered; i++)
        {
            ref readonly var r = ref Workload.Requests[i & Workload.Mask];
            queue.Enqueue(new Envelope(new TellPerEventPeer.RequestCompleted(r.Model, r.Provider, r.InputTokens, r.OutputTokens, r.CostMicros), ActorRefs.NoSender));
        }
        return queue;
    }

    private sealed class Cfg : ManualConfig
    {
        public Cfg()
        {
            AddJob(BenchConfig.Mutator(fullIterations: 10, quickIterations: 3, fullWarmup: 2, quickWarmup: 1));
            AddColumn(new BytesPerEventColumn(Buffered));
        }
    }
}

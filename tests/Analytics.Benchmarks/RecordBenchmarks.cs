using Analytics.Actors;
using Analytics.Actors.Ingress;
using Analytics.Benchmarks.Infrastructure;
using Analytics.Benchmarks.Peers;
using Analytics.Contracts;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;

namespace Analytics.Benchmarks;

/// <summary>
/// Component: the caller's cost of recording one completed LLM request (model, provider, input and output
/// tokens, cost) into warm slots, ours against the designs a user would pick instead, on 1 and 2 producer
/// threads, with no consumer running. The gateway benchmarks (<c>Gateway*Benchmarks</c>) are the regime a
/// gateway runs in; this is the floor of one write.
/// </summary>
/// <remarks>
/// <para>Each invoke records <see cref="TotalOps"/> requests split evenly over <see cref="Threads"/>
/// threads started together; the reported time is wall time / <see cref="TotalOps"/>, i.e. the time per
/// recorded request of the whole group. Perfect 2-thread scaling halves it; 2-thread throughput relative
/// to 1 thread is Mean(1) / Mean(2).</para>
/// <para><see cref="Ours"/> must not be flattered by the ring's cheap "full, drop" path: each shard
/// holds a whole invoke (16,384 slots, more than the default ring's 5,000 a shard), every producer
/// drains its own shard before each iteration outside the measured region, and global cleanup fails the
/// run if a single event was dropped. So every measured op is an accepted write, into slots warm in the
/// producer's cache. <see cref="OursWithDrainer"/> is the steady state instead: the default
/// 10,000-slot recorder, a consumer thread emptying it concurrently (so every slot travels to another
/// core and back, as it does to the pump), and a producer that retries (spinning) until each write is
/// accepted, so waiting for the consumer is inside the time. With 2 producers on this 2-core machine
/// the consumer takes CPU from them.</para>
/// <para>Every peer is checked the same way at cleanup: it must have counted every request.</para>
/// </remarks>
[Config(typeof(Cfg))]
public class RecordBenchmarks
{
    public const int TotalOps = 16_384;

    private ProducerGroup _producers = null!;
    private UsageRecorder _recorder = null!;
    private IUsagePeer? _peer;
    private Thread? _drainer;
    private volatile bool _stopDrainer;
    private long _invokes;
    private long _warmUpOps;
    private Action<int, int> _work = null!;
    private Action<int, int> _drainHome = null!;
    private Action<int, int> _oursRange = null!, _oursBackpressuredRange = null!, _peerRange = null!;
    private readonly Lock _drainGate = new();

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup(Target = nameof(Ours))]
    public void SetupOurs()
    {
        Start();
        // Every shard can take a whole invoke, whichever shards the producer threads map to: 16,384
        // slots a shard, so the ring is about the size of the default one (10,000 slots) per shard.
        var shards = new UsageRecorder(16).Buffer.Shards.Length;
        _recorder = new UsageRecorder(TotalOps * shards);
        _work = OursWork;
        _drainHome = DrainHome;
        WarmUp();
    }

    [GlobalSetup(Target = nameof(OursWithDrainer))]
    public void SetupOursWithDrainer()
    {
        Start();
        _recorder = new UsageRecorder();
        _drainer = new Thread(DrainLoop) { IsBackground = true, Name = "drainer" };
        _drainer.Start();
        _work = OursBackpressuredWork;
        WarmUp();
    }

    [GlobalSetup(Target = nameof(OpenTelemetry))]
    public void SetupOpenTelemetry() => StartPeer(new OpenTelemetryPeer());

    [GlobalSetup(Target = nameof(ConcurrentDictionaryInterlocked))]
    public void SetupConcurrentDictionary() => StartPeer(new ConcurrentDictionaryPeer());

    [GlobalSetup(Target = nameof(AkkaTellPerEvent))]
    public void SetupTell() => StartPeer(new TellPerEventPeer());

    [GlobalSetup(Target = nameof(LockDictionary))]
    public void SetupLock() => StartPeer(new LockedDictionaryPeer());

    /// <summary>
    /// Outside the measured region: empty the ring so the next invoke only does accepted writes. Each
    /// producer thread drains its own home shard, so its slots are warm in its own core's cache for
    /// every thread count alike. (Drained by one thread, the other thread's slots would start in the
    /// wrong core.) Moving slots to a consumer on another core is what <see cref="OursWithDrainer"/> adds.
    /// </summary>
    [IterationSetup(Target = nameof(Ours))]
    public void DrainRing() => _producers.Run(_drainHome, 0);

    /// <summary>Outside the measured region: let the actor finish folding so no backlog leaks into the next iteration.</summary>
    [IterationCleanup(Target = nameof(AkkaTellPerEvent))]
    public void WaitForActor() => _peer!.CountedRequests();

    [Benchmark(Baseline = true, OperationsPerInvoke = TotalOps)]
    public void Ours() => Invoke();

    [Benchmark(OperationsPerInvoke = TotalOps)]
    public void OursWithDrainer() => Invoke();

    [Benchmark(OperationsPerInvoke = TotalOps)]
    public void OpenTelemetry() => Invoke();

    [Benchmark(OperationsPerInvoke = TotalOps)]
    public void ConcurrentDictionaryInterlocked() => Invoke();

    [Benchmark(OperationsPerInvoke = TotalOps)]
    public void AkkaTellPerEvent() => Invoke();

    [Benchmark(OperationsPerInvoke = TotalOps)]
    public void LockDictionary() => Invoke();

    [GlobalCleanup]
    public void Cleanup()
    {
        var expected = _invokes * TotalOps + _warmUpOps;
        try
        {
            if (_peer is not null)
            {
                var counted = _peer.CountedRequests();
                if (counted != expected) throw new InvalidOperationException($"{_peer.GetType().Name} counted {counted} requests, expected {expected}");
            }
            else
            {
                if (_recorder.DroppedCount != 0) throw new InvalidOperationException($"the ring dropped {_recorder.DroppedCount} events: some measured ops were drops");
                if (_recorder.AcceptedCount != expected) throw new InvalidOperationException($"the ring accepted {_recorder.AcceptedCount} events, expected {expected}");
                // In the log, to show which shards the producer threads wrote to.
                Console.WriteLine($"// shards accepted: {string.Join(", ", _recorder.Buffer.Shards.Select(s => s.Accepted))}");
            }
        }
        finally
        {
            _stopDrainer = true;
            _drainer?.Join();
            _peer?.Dispose();
            _producers.Dispose();
        }
    }

    /// <summary>
    /// Outside the measured region, before BenchmarkDotNet's own warm-up: runs the real producer loops
    /// for a while so they are tier-1 code (with PGO) before the first measured iteration. BenchmarkDotNet's
    /// warm-up iterations are counted, not timed, and these are short: without this, some runs measured
    /// tier-0 code for half their iterations (see <see cref="Workload.InChunks"/>).
    /// </summary>
    private void WarmUp()
    {
        var until = DateTime.UtcNow + (BenchConfig.Quick ? TimeSpan.FromMilliseconds(200) : TimeSpan.FromMilliseconds(600));
        while (DateTime.UtcNow < until)
        {
            if (_recorder is not null && _drainer is null) _producers.Run(_drainHome, 0);
            _producers.Run(_work, TotalOps / Threads);
            _warmUpOps += TotalOps;
            if (_peer is TellPerEventPeer) _peer.CountedRequests();
        }
        if (_recorder is not null && _drainer is null) _producers.Run(_drainHome, 0);
    }

    private void Invoke()
    {
        _producers.Run(_work, TotalOps / Threads);
        _invokes++;
    }

    private void Start()
    {
        _warmUpOps = 0;
        _oursRange = OursRange;
        _oursBackpressuredRange = OursBackpressuredRange;
        _producers = new ProducerGroup(Threads);
        _invokes = 0;
    }

    private void StartPeer(IUsagePeer peer)
    {
        Start();
        _peer = peer;
        _peerRange = peer.RecordRange;
        _work = PeerWork;
        WarmUp();
    }

    private void DrainHome(int thread, int ops)
    {
        var buffer = _recorder.Buffer;
        var sink = default(NullSink);
        // Draining is single-consumer: serialise, in case two producers share a home shard.
        lock (_drainGate)
        {
            var shard = buffer.Shards[buffer.HomeShardIndex];
            shard.Drain(ref sink, shard.TailSnapshot(), int.MaxValue, wait: false);
        }
    }

    private void OursWork(int thread, int ops) => Workload.InChunks(ops, _oursRange);

    private void OursBackpressuredWork(int thread, int ops) => Workload.InChunks(ops, _oursBackpressuredRange);

    private void OursRange(int start, int count)
    {
        var recorder = _recorder;
        var requests = Workload.Requests;
        for (var i = start; i < start + count; i++)
        {
            ref readonly var r = ref requests[i & Workload.Mask];
            recorder.RecordCompleted(r.Model, new TokenUsage(r.InputTokens, r.OutputTokens), costMicros: r.CostMicros, attribution: new RequestAttribution { Provider = r.Provider });
        }
    }

    private void OursBackpressuredRange(int start, int count)
    {
        var recorder = _recorder;
        var requests = Workload.Requests;
        for (var i = start; i < start + count; i++)
        {
            ref readonly var r = ref requests[i & Workload.Mask];
            if (!recorder.TryRecordCompleted(r.Model, new TokenUsage(r.InputTokens, r.OutputTokens), costMicros: r.CostMicros, attribution: new RequestAttribution { Provider = r.Provider }))
                WaitAndRetry(recorder, r);
        }
    }

    private static void WaitAndRetry(UsageRecorder recorder, in Request r)
    {
        var spin = new SpinWait();
        do spin.SpinOnce(sleep1Threshold: -1);
        while (!recorder.TryRecordCompleted(r.Model, new TokenUsage(r.InputTokens, r.OutputTokens), costMicros: r.CostMicros, attribution: new RequestAttribution { Provider = r.Provider }));
    }

    private void PeerWork(int thread, int ops) => Workload.InChunks(ops, _peerRange);

    /// <summary>A consumer like the pump's read loop, minus the folding (the pipeline benchmark has that).</summary>
    private void DrainLoop()
    {
        // On a core of its own when there is one left over; otherwise the scheduler shares it out.
        if (Threads < Environment.ProcessorCount) ThreadAffinity.PinCurrentThread(Threads);
        else ThreadAffinity.AllowAll();
        var buffer = _recorder.Buffer;
        var sink = default(NullSink);
        var spin = new SpinWait();
        while (!_stopDrainer)
        {
            var any = 0;
            foreach (var shard in buffer.Shards) any += shard.Drain(ref sink, shard.TailSnapshot(), int.MaxValue, wait: false);
            if (any > 0) spin.Reset();
            else spin.SpinOnce(sleep1Threshold: -1);
        }
    }

    private sealed class Cfg : ManualConfig
    {
        // No forced GC between iterations: it would scan the whole ring (it holds references) from the
        // benchmark thread's core, so the other producer's slots would start every iteration in the wrong
        // cache; and it would collect the Tell peer's message garbage outside the measured time. Each
        // design pays for its own collections inside the time, as in production.
        public Cfg() => AddJob(BenchConfig.Mutator(fullIterations: 20, quickIterations: 4, fullWarmup: 10, quickWarmup: 1, invocationCount: 1, forceGc: false));
    }
}

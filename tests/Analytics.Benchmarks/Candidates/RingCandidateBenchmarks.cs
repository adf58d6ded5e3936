using Analytics.Actors.Ingress;
using Analytics.Benchmarks.Infrastructure;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;

namespace Analytics.Benchmarks.Candidates;

/// <summary>
/// A/B of ring layouts for issue 13, component level: one producer (CPU 0) writes <see cref="Events"/> completed
/// requests into a 5,000-slot ring (the default recorder's shard size on 2 cores) while a consumer on CPU 1 drains it
/// and reads what a fold reads. Time per event, until the consumer has read every one; the producer spins when full.
/// </summary>
[Config(typeof(Cfg))]
public class RingCandidateBenchmarks
{
    public const int Events = 200_000;
    private const int Capacity = 5_000;

    private IRingCandidate _ring = null!;
    private Thread _consumer = null!;
    private volatile bool _stop;
    private long _consumed;
    private long _expected;
    private long _checksum;
    private ulong? _affinity;
    private string[] _agents = [];
    private Action<int, int> _range = null!;

    [Params("A_CurrentMpsc", "A2_MpscTurnInSlotNoClear", "B_MpscSeparateTurns", "C_SpscHeadEach", "D_SpscHeadBatched", "E_SpscNarrow64")]
    public string Ring { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        _ring = Ring switch
        {
            "A_CurrentMpsc" => new CurrentShard(Capacity),
            "A2_MpscTurnInSlotNoClear" => new MpscTurnInSlotNoClear(Capacity),
            "B_MpscSeparateTurns" => new MpscSeparateTurns(Capacity),
            "C_SpscHeadEach" => new SpscSegment<IngressRecord, FullRecordPolicy>(Capacity, 1),
            "D_SpscHeadBatched" => new SpscSegment<IngressRecord, FullRecordPolicy>(Capacity, 64),
            "E_SpscNarrow64" => new SpscSegment<NarrowRecord, NarrowRecordPolicy>(Capacity, 64),
            _ => throw new ArgumentOutOfRangeException(nameof(Ring), Ring, "unknown ring"),
        };
        _agents = Enumerable.Range(0, 16).Select(i => $"agent-{i}").ToArray();
        _range = ProduceRange;
        if (ThreadAffinity.Supported) ThreadAffinity.PrimeThreadPool();
        _affinity = ThreadAffinity.PinCurrentThread(0);
        _consumer = new Thread(ConsumeLoop) { IsBackground = true, Name = "consumer" };
        _consumer.Start();
        for (var i = 0; i < 20; i++) Run();
    }

    [Benchmark(OperationsPerInvoke = Events)]
    public void Ring_ProducerWithConsumer() => Run();

    [GlobalCleanup]
    public void Cleanup()
    {
        _stop = true;
        _consumer.Join();
        ThreadAffinity.Restore(_affinity);
        if (Volatile.Read(ref _consumed) != _expected) throw new InvalidOperationException($"consumed {_consumed}, expected {_expected}");
        Console.WriteLine($"// checksum {_checksum}");
    }

    private void Run()
    {
        _expected += Events;
        Workload.InChunks(Events, _range);
        var spin = new SpinWait();
        while (Volatile.Read(ref _consumed) < _expected) spin.SpinOnce(sleep1Threshold: -1);
    }

    private void ProduceRange(int start, int count)
    {
        var ring = _ring;
        var requests = Workload.Requests;
        var agents = _agents;
        for (var i = start; i < start + count; i++)
        {
            ref readonly var r = ref requests[i & Workload.Mask];
            var agent = agents[i & 15];
            if (!ring.TryWrite(r.Model, agent, r.InputTokens, r.OutputTokens, 800))
            {
                var spin = new SpinWait();
                do spin.SpinOnce(sleep1Threshold: -1);
                while (!ring.TryWrite(r.Model, agent, r.InputTokens, r.OutputTokens, 800));
            }
        }
    }

    private void ConsumeLoop()
    {
        ThreadAffinity.PinCurrentThread(1);
        var spin = new SpinWait();
        long checksum = 0;
        while (!_stop)
        {
            var n = _ring.Drain(ref checksum);
            if (n > 0)
            {
                Volatile.Write(ref _consumed, _consumed + n);
                spin.Reset();
            }
            else spin.SpinOnce(sleep1Threshold: -1);
        }
        _checksum = checksum;
    }

    private sealed class Cfg : ManualConfig
    {
        public Cfg() => AddJob(BenchConfig.Mutator(fullIterations: 15, quickIterations: 3, fullWarmup: 3, quickWarmup: 1, invocationCount: 1, forceGc: false));
    }
}

namespace Analytics.Benchmarks.Infrastructure;

/// <summary>
/// Runs the same producer loop on <c>threads</c> threads at once: the benchmark thread plus
/// <c>threads - 1</c> helpers created once (not per invoke, so thread start-up is not measured).
/// Helpers wait by spinning, not by blocking, so they start within a few hundred nanoseconds of the
/// benchmark thread: the producers really overlap, and a kernel wake-up is not part of the time.
/// The invoke ends when the slowest producer is done, so the measured time is wall-clock time for all.
/// Producer i is pinned to CPU i (see <see cref="ThreadAffinity"/>); the benchmark thread is producer 0
/// and gets its previous affinity back on <see cref="Dispose"/>.
/// </summary>
internal sealed class ProducerGroup : IDisposable
{
    private readonly Thread[] _helpers;
    private Action<int, int>? _work;
    private int _opsPerThread;
    private int _generation;
    private int _running;
    private volatile bool _stopping;
    private readonly ulong? _mainAffinity;

    public ProducerGroup(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        Threads = threads;
        if (ThreadAffinity.Supported) ThreadAffinity.PrimeThreadPool();
        _mainAffinity = ThreadAffinity.PinCurrentThread(0);
        _helpers = new Thread[threads - 1];
        for (var i = 0; i < _helpers.Length; i++)
        {
            var index = i + 1;
            _helpers[i] = new Thread(() => HelperLoop(index)) { IsBackground = true, Name = $"producer-{index}" };
            _helpers[i].Start();
        }
    }

    public int Threads { get; }

    /// <summary>Runs <paramref name="work"/>(threadIndex, opsPerThread) on every producer and waits for all.</summary>
    public void Run(Action<int, int> work, int opsPerThread)
    {
        _work = work;
        _opsPerThread = opsPerThread;
        Volatile.Write(ref _running, _helpers.Length);
        Interlocked.Increment(ref _generation); // full fence: helpers see the work before the new generation
        work(0, opsPerThread);
        var spin = new SpinWait();
        while (Volatile.Read(ref _running) != 0) spin.SpinOnce(sleep1Threshold: -1);
    }

    private void HelperLoop(int index)
    {
        ThreadAffinity.PinCurrentThread(index);
        var seen = 0;
        while (true)
        {
            var spin = new SpinWait();
            int generation;
            while ((generation = Volatile.Read(ref _generation)) == seen) spin.SpinOnce(sleep1Threshold: -1);
            seen = generation;
            if (_stopping) return;
            _work!(index, _opsPerThread);
            Interlocked.Decrement(ref _running);
        }
    }

    public void Dispose()
    {
        _stopping = true;
        Interlocked.Increment(ref _generation);
        foreach (var t in _helpers) t.Join();
        ThreadAffinity.Restore(_mainAffinity);
    }
}

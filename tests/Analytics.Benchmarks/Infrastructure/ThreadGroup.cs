namespace Analytics.Benchmarks.Infrastructure;

/// <summary>
/// Runs the same work on <c>threads</c> threads at once, unpinned, as a gateway's request threads are: the benchmark
/// thread plus <c>threads - 1</c> helpers created once. Between runs the helpers block (unlike
/// <see cref="ProducerGroup"/>, which spins for a start within nanoseconds): with 8 producers on 2 cores, spinning
/// helpers would take the CPU the consumers (pump, actor) need while a run's results are collected.
/// </summary>
internal sealed class ThreadGroup : IDisposable
{
    private readonly Thread[] _helpers;
    private readonly SemaphoreSlim _start = new(0);
    private readonly CountdownEvent _done = new(1);
    private Action<int>? _work;
    private volatile bool _stopping;

    public ThreadGroup(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        _helpers = new Thread[threads - 1];
        for (var i = 0; i < _helpers.Length; i++)
        {
            var index = i + 1;
            _helpers[i] = new Thread(() => HelperLoop(index)) { IsBackground = true, Name = $"producer-{index}" };
            _helpers[i].Start();
        }
    }

    /// <summary>Runs <paramref name="work"/>(threadIndex) on every thread and returns when all are done.</summary>
    public void Run(Action<int> work)
    {
        _work = work;
        _done.Reset(_helpers.Length + 1);
        if (_helpers.Length > 0) _start.Release(_helpers.Length);
        try
        {
            work(0);
        }
        finally
        {
            _done.Signal();
        }
        _done.Wait();
    }

    private void HelperLoop(int index)
    {
        while (true)
        {
            _start.Wait();
            if (_stopping) return;
            try
            {
                _work!(index);
            }
            finally
            {
                _done.Signal();
            }
        }
    }

    public void Dispose()
    {
        _stopping = true;
        if (_helpers.Length > 0) _start.Release(_helpers.Length);
        foreach (var t in _helpers) t.Join();
    }
}

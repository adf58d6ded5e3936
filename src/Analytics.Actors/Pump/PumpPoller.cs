using Analytics.Actors.Ingress;

namespace Analytics.Actors.Pump;

/// <summary>
/// Looks at the ring every few milliseconds and wakes the sleeping pump when something waits, so that no write ever
/// pays for waking it (a wake-up is a thread-pool or kernel signal: microseconds, where a write costs nanoseconds).
/// </summary>
/// <remarks>
/// <para>A thread of its own rather than a timer: timers run on the .NET thread pool, which busy producers can starve
/// (and Akka's scheduler ticks every 10 ms). It sleeps in a timed wait, so it costs a wake-up per period and nothing
/// else.</para>
/// <para>The period is <c>PollInterval</c> while events arrive and doubles on every empty look up to
/// <c>DrainInterval</c>, so an idle host is looked at a few times a second. Bursts faster than the poll are caught by
/// the producers' wake mark instead (see <see cref="PumpSignal"/>).</para>
/// </remarks>
internal sealed class PumpPoller : IDisposable
{
    private readonly IngressBuffer _buffer;
    private readonly PumpSignal _signal;
    private readonly TimeSpan _fastest;
    private readonly TimeSpan _slowest;
    // Never disposed: Dispose may race with the thread's last wait, and an event that never allocated a kernel handle
    // holds nothing the GC cannot take.
    private readonly ManualResetEventSlim _stop = new(false, spinCount: 1);

    public PumpPoller(IngressBuffer buffer, PumpSignal signal, TimeSpan fastest, TimeSpan slowest, string name)
    {
        _buffer = buffer;
        _signal = signal;
        _fastest = fastest;
        _slowest = slowest < fastest ? fastest : slowest;
        new Thread(Run) { IsBackground = true, Name = name }.Start();
    }

    /// <summary>Stops the thread at its next wake-up.</summary>
    public void Dispose() => _stop.Set();

    private void Run()
    {
        var period = _fastest;
        while (!_stop.Wait(period))
        {
            if (_buffer.Pending > 0)
            {
                _signal.WakeIfIdle();
                period = _fastest;
            }
            else
            {
                period = period * 2 > _slowest ? _slowest : period * 2;
            }
        }
    }
}

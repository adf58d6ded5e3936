using System.Runtime.CompilerServices;

namespace Analytics.Actors.Ingress;

/// <summary>
/// The handshake between producers and the pump. The pump is not woken per write: it polls (see
/// <c>Pump.PumpPoller</c>), and a producer wakes a sleeping pump only when its shard has filled past the wake mark, so
/// in the common case a write pays for one read of the idle flag, and under a burst one write in many pays for one
/// wake-up.
/// </summary>
/// <remarks>
/// The pump declares itself idle with <see cref="GoIdle"/>; whoever finds the flag set and must wake it takes the flag
/// (an atomic exchange, so of many racing wakers exactly one sends the message) and calls the pump's wake action.
/// </remarks>
internal sealed class PumpSignal
{
    private readonly IngressBuffer _buffer;
    private Action? _wake;
    private int _idle = 1;

    public PumpSignal(IngressBuffer buffer) => _buffer = buffer;

    /// <summary>True while a pump is attached.</summary>
    public bool IsAttached => Volatile.Read(ref _wake) is not null;

    /// <summary>True while the pump sleeps (nothing to drain when it last looked).</summary>
    public bool IsIdle
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Volatile.Read(ref _idle) != 0;
    }

    /// <summary>
    /// Connects the pump: <paramref name="wake"/> is called at most once per idle period, by a producer whose shard is
    /// <paramref name="wakeFillPercent"/> full or by the poller.
    /// </summary>
    public void Attach(Action wake, int wakeFillPercent)
    {
        _buffer.SetWakeMark(wakeFillPercent);
        Volatile.Write(ref _wake, wake);
        Volatile.Write(ref _idle, 1);
        if (_buffer.Pending > 0) Wake();
    }

    /// <summary>Disconnects the pump (it stopped).</summary>
    public void Detach() => Volatile.Write(ref _wake, null);

    /// <summary>Wakes the pump if it declared itself idle (a waiting producer, the poller).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WakeIfIdle()
    {
        if (IsIdle) Wake();
    }

    /// <summary>
    /// Pump only: declare idle so the next wake-up reaches it. Returns true when a shard filled past its wake mark
    /// meanwhile and the pump took the wake back itself (so it must keep draining). A few events pending do not keep it
    /// awake: the poller collects them, so a trickle of events never turns the pump into a busy loop.
    /// </summary>
    public bool GoIdle()
    {
        // A full fence, not a release store: the flag must be visible before the fill is read, or a producer that
        // filled its shard meanwhile (and saw the pump busy) and this read could both miss each other, leaving a full
        // shard until the next poll (Dekker's store-load case; x86 may reorder a store with a later load).
        Interlocked.Exchange(ref _idle, 1);
        return _buffer.AnyFilling() && Interlocked.Exchange(ref _idle, 0) == 1;
    }

    /// <summary>Takes the idle flag and, if this caller got it, calls the pump's wake action.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public void Wake()
    {
        if (Interlocked.Exchange(ref _idle, 0) != 0) Volatile.Read(ref _wake)?.Invoke();
    }
}

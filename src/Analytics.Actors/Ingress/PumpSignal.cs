using System.Runtime.CompilerServices;

namespace Analytics.Actors.Ingress;

/// <summary>
/// The handshake between producers and the pump: the first write after the pump went idle wakes it, once, and no
/// other write pays for anything but one read of the idle flag.
/// </summary>
/// <remarks>
/// The pump declares itself idle with <see cref="GoIdle"/>; a producer that finds the flag set takes it (an atomic
/// exchange, so of many racing producers exactly one sends the wake-up) and calls the pump's wake action.
/// </remarks>
internal sealed class PumpSignal
{
    private readonly IngressBuffer _buffer;
    private Action? _wake;
    private int _idle = 1;

    public PumpSignal(IngressBuffer buffer) => _buffer = buffer;

    /// <summary>True while a pump is attached.</summary>
    public bool IsAttached => Volatile.Read(ref _wake) is not null;

    /// <summary>Connects the pump: <paramref name="wake"/> is called at most once per idle period.</summary>
    public void Attach(Action wake)
    {
        Volatile.Write(ref _wake, wake);
        Volatile.Write(ref _idle, 1);
        if (_buffer.Pending > 0) Wake();
    }

    /// <summary>Disconnects the pump (it stopped).</summary>
    public void Detach() => Volatile.Write(ref _wake, null);

    /// <summary>Producer side: wakes the pump if it declared itself idle.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WakeIfIdle()
    {
        if (Volatile.Read(ref _idle) != 0) Wake();
    }

    /// <summary>
    /// Pump only: declare idle so the next write wakes it. Returns true when events arrived meanwhile and the pump
    /// took the wake back itself (so it must keep draining).
    /// </summary>
    public bool GoIdle()
    {
        // A full fence, not a release store: the flag must be visible before the pending count is read, or a
        // producer that wrote meanwhile (and saw the pump busy) and this read could both miss each other, leaving
        // its event for the safety-net timer (Dekker's store-load case; x86 may reorder a store with a later load).
        Interlocked.Exchange(ref _idle, 1);
        return _buffer.Pending > 0 && Interlocked.Exchange(ref _idle, 0) == 1;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Wake()
    {
        if (Interlocked.Exchange(ref _idle, 0) != 0) Volatile.Read(ref _wake)?.Invoke();
    }
}

using System.Runtime.InteropServices;

namespace Analytics.Host;

/// <summary>
/// SIGINT (Ctrl-C) and SIGTERM for a command. The first one asks the command to stop (<see cref="Stopping"/> fires: it
/// stops reading input, drains what it recorded and flushes it, bounded by the flush timeout); a second one stops the
/// process at once. Both say on stderr what was left undelivered. The host's own console lifetime is replaced (see
/// <see cref="AnalyticsHost"/>), so these are the only handlers: without them the generic host would swallow the
/// signal and the command would run on to the end of its input, or forever on a FIFO.
/// </summary>
internal sealed class ShutdownSignals : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly TextWriter _stderr;
    private readonly Action<int> _exitNow;
    private readonly List<PosixSignalRegistration> _registrations = [];
    private readonly string _stoppingMessage;
    private Func<string> _leftUndelivered = static () => "nothing recorded yet";
    private int _received;
    private PosixSignal? _first;

    /// <summary>What a command that reads input does on the first signal (replay).</summary>
    public const string InputStopping = "no more input is read; what was recorded is drained, reported, and delivered when sync is on";

    /// <summary>What the service does on the first signal (serve).</summary>
    public const string ServiceStopping = "no more requests are taken, those in flight are finished; what was recorded is drained, committed, and delivered when sync is on";

    private ShutdownSignals(TextWriter stderr, Action<int> exitNow, string stoppingMessage)
    {
        _stderr = stderr;
        _exitNow = exitNow;
        _stoppingMessage = stoppingMessage;
    }

    /// <summary>Fires on the first signal.</summary>
    public CancellationToken Stopping => _stop.Token;

    /// <summary>The first signal received, or null.</summary>
    public PosixSignal? Received => _first;

    /// <summary>The conventional exit code of a process stopped by the first signal: 128 + its number (130, 143).</summary>
    public int ExitCode => _first == PosixSignal.SIGINT ? 130 : 143;

    /// <summary>The name of the first signal, for messages.</summary>
    public string Name => _first == PosixSignal.SIGINT ? "SIGINT" : "SIGTERM";

    /// <summary>Registers the handlers.</summary>
    /// <param name="stderr">Where the two messages go.</param>
    /// <param name="exitNow">Ends the process with a code (the second signal); defaults to <see cref="Environment.Exit"/>.</param>
    /// <param name="stopping">What the command does on the first signal (<see cref="InputStopping"/> by default).</param>
    public static ShutdownSignals Register(TextWriter stderr, Action<int>? exitNow = null, string stopping = InputStopping)
    {
        var signals = new ShutdownSignals(stderr, exitNow ?? Environment.Exit, stopping);
        foreach (var signal in new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM })
        {
            try
            {
                signals._registrations.Add(PosixSignalRegistration.Create(signal, signals.Handle));
            }
            catch (PlatformNotSupportedException)
            {
                // A platform without this signal: the default handling stays.
            }
        }
        return signals;
    }

    /// <summary>Sets what the messages report as left undelivered (called when the command knows it).</summary>
    /// <param name="leftUndelivered">A sentence fragment, read when a signal arrives.</param>
    public void Describe(Func<string> leftUndelivered) => Volatile.Write(ref _leftUndelivered, leftUndelivered);

    private void Handle(PosixSignalContext context)
    {
        // Always handled here: the runtime's default would kill the process without the flush.
        context.Cancel = true;
        OnSignal(context.Signal);
    }

    private void OnSignal(PosixSignal signal)
    {
        var name = signal == PosixSignal.SIGINT ? "SIGINT" : "SIGTERM";
        var left = Describe();
        if (Interlocked.Increment(ref _received) == 1)
        {
            _first = signal;
            _stderr.WriteLine($"{name} received: stopping: {_stoppingMessage}, within Analytics:Sync:FlushTimeout ({left}). Send it again to stop at once.");
            _stderr.Flush();
            // Not on the signal thread: continuations of the token must not run inside the handler.
            ThreadPool.UnsafeQueueUserWorkItem(static cts => cts.Cancel(), _stop, preferLocal: false);
            return;
        }
        _stderr.WriteLine($"{name} received again: stopping at once; left undelivered and not dead-lettered: {left}.");
        _stderr.Flush();
        _exitNow(signal == PosixSignal.SIGINT ? 130 : 143);
    }

    private string Describe()
    {
        try
        {
            return Volatile.Read(ref _leftUndelivered)();
        }
        catch (Exception e)
        {
            return $"unknown ({e.Message})";
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        // The token source is left to the GC: a Cancel queued by a late signal must not meet a disposed source.
        foreach (var registration in _registrations) registration.Dispose();
    }
}

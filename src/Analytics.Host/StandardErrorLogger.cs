using Akka.Event;

namespace Analytics.Host;

/// <summary>
/// Akka's last-resort logger (<c>akka.stdout-logger-class</c>), writing to stderr. Akka prints through it while the
/// logging bus starts and after it stopped, and, whatever <c>akka.stdout-loglevel</c> says, it hands it every message
/// still queued for a logger that was stopped at shutdown (a CoordinatedShutdown line, in a fast stop). Its default
/// writes to stdout, which with <c>--format json</c> must hold the report alone.
/// </summary>
public sealed class StandardErrorLogger : MinimalLogger
{
    /// <inheritdoc />
    protected override void Log(object message)
    {
        // LogEvent.ToString is Akka's own one-line form: [LEVEL][time][thread][source] message.
        Console.Error.WriteLine(message is LogEvent e ? e.ToString() : message?.ToString());
    }
}

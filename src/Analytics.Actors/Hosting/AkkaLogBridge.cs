using Akka.Actor;
using Akka.Event;
using Akka.Hosting.Logging;
using Microsoft.Extensions.Logging;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;

namespace Analytics.Actors.Hosting;

/// <summary>
/// Akka's log events through <see cref="ILoggerFactory"/>, one logger category per logging class (so
/// <c>Logging:LogLevel:Analytics</c> filters the analytics' own lines) and the message alone: the logging provider
/// already writes the level and the time, so Akka's own <c>[WARNING][date][thread][path]</c> prefix would say it twice.
/// </summary>
internal sealed class AkkaLogBridge : LoggerFactoryLogger
{
    private readonly Dictionary<Type, ILogger> _loggers = [];
    private readonly ILoggerFactory _factory;

    public AkkaLogBridge()
    {
        var setup = Context.System.Settings.Setup.Get<LoggerFactorySetup>();
        _factory = setup.Value.LoggerFactory;
    }

    protected override void Log(LogEvent log, ActorPath path)
    {
        if (!_loggers.TryGetValue(log.LogClass, out var logger))
        {
            logger = _factory.CreateLogger(log.LogClass.FullName ?? log.LogClass.Name);
            _loggers.Add(log.LogClass, logger);
        }
        var level = log.LogLevel() switch
        {
            Akka.Event.LogLevel.DebugLevel => LogLevel.Debug,
            Akka.Event.LogLevel.InfoLevel => LogLevel.Information,
            Akka.Event.LogLevel.WarningLevel => LogLevel.Warning,
            _ => LogLevel.Error,
        };
        if (!logger.IsEnabled(level)) return;
        logger.Log(level, default, Format(log), log.Cause, static (message, _) => message);
    }

    private static string Format(LogEvent log)
    {
        try
        {
            return log.Message is LogMessage message ? message.ToString() ?? "" : log.Message?.ToString() ?? "";
        }
        catch (FormatException)
        {
            // A log line must never take the logger down: show the raw message instead.
            return log.Message is LogMessage message ? message.Format : "(unformattable log message)";
        }
    }
}

using Akka.Configuration;

namespace Analytics.Benchmarks.Infrastructure;

/// <summary>Akka settings shared by every benchmark actor system: defaults, minus log noise.</summary>
internal static class Hocon
{
    public static readonly Config Quiet = ConfigurationFactory.ParseString("""
        akka.loglevel = WARNING
        akka.stdout-loglevel = WARNING
        akka.log-dead-letters = off
        akka.log-dead-letters-during-shutdown = off
        """);
}

using Analytics.Actors.Hosting;

namespace Analytics.Actors;

/// <summary>
/// The <c>Analytics.Usage</c> meter's settings, bound from <c>Analytics:Metrics</c>. The meter is created through the host's
/// <c>IMeterFactory</c>; export it with any OpenTelemetry exporter (<c>AddMeter("Analytics.Usage")</c>).
/// </summary>
public sealed class MetricsOptions
{
    /// <summary>
    /// Measure every request into the meter (one small record per request, handed over by the pump once per batch to a
    /// bounded queue read on a thread of its own). Default true; false creates no meter and costs nothing.
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// Tag the per-request instruments with <c>gen_ai.agent.id</c>. Default false: agents are caller strings and can be
    /// many, and every attribute value multiplies the series an exporter keeps.
    /// </summary>
    public bool AgentAttribute { get; set; }

    /// <summary>
    /// With <see cref="AgentAttribute"/>, the most distinct agent ids that get their own value; requests of later agents
    /// are tagged <c>_OTHER</c> and counted in <c>analytics.usage.metrics.agent_overflow</c>. Default 100; 1..10,000.
    /// </summary>
    public int MaxAgents { get; set; } = 100;

    /// <summary>
    /// Requests waiting between the pump and the meter; when full, requests are not measured and are counted in
    /// <c>analytics.usage.metrics.dropped</c> (the stats still count them). Default 10,000; 1..10,000,000.
    /// </summary>
    public int QueueCapacity { get; set; } = 10_000;

    /// <summary>Returns a copy.</summary>
    /// <returns>A member-wise copy.</returns>
    public MetricsOptions Clone() => (MetricsOptions)MemberwiseClone();

    /// <summary>Checks the settings; one message per problem, naming the key, the range and the value.</summary>
    internal static void Validate(MetricsOptions options, OptionErrors errors)
    {
        errors.Range("MaxAgents", options.MaxAgents, 1, 10_000);
        errors.Range("QueueCapacity", options.QueueCapacity, 1, 10_000_000);
    }
}

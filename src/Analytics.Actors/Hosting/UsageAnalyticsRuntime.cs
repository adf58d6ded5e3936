namespace Analytics.Actors.Hosting;

/// <summary>
/// Holds the one <see cref="UsageRecorder"/> of a service provider, created on first use from the options
/// in force, so that DI consumers and <see cref="AnalyticsHostingExtensions.WithUsageAnalytics(Akka.Hosting.AkkaConfigurationBuilder)"/>
/// share the same ring whichever resolves it first.
/// </summary>
internal sealed class UsageAnalyticsRuntime
{
    private readonly object _gate = new();
    private UsageRecorder? _recorder;
    private AnalyticsOptions? _createdWith;

    public UsageRecorder GetRecorder(AnalyticsOptions options)
    {
        lock (_gate)
        {
            if (_recorder is null)
            {
                AnalyticsOptionsValidator.ThrowIfInvalid(options);
                _recorder = new UsageRecorder(options.BufferCapacity, options.IngressShards);
                _createdWith = options;
                return _recorder;
            }

            if (options.BufferCapacity != _createdWith!.BufferCapacity || options.IngressShards != _createdWith.IngressShards)
                throw new InvalidOperationException(
                    $"The UsageRecorder was already created with {AnalyticsOptions.SectionName}:BufferCapacity={_createdWith.BufferCapacity} and " +
                    $"{AnalyticsOptions.SectionName}:IngressShards={_createdWith.IngressShards}; WithUsageAnalytics asked for {options.BufferCapacity} and " +
                    $"{options.IngressShards}. Set the ring size in one place (configuration or the options passed to WithUsageAnalytics).");
            return _recorder;
        }
    }
}

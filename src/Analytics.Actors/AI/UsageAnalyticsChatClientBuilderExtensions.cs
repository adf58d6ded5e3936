using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace Analytics.Actors.AI;

/// <summary>Adds usage recording to a <see cref="ChatClientBuilder"/> pipeline.</summary>
public static class UsageAnalyticsChatClientBuilderExtensions
{
    /// <summary>
    /// Records every call of the pipeline (tokens, model, provider, duration, time to first token, failures) into the
    /// <see cref="UsageRecorder"/>: see <see cref="UsageAnalyticsChatClient"/>. Place it after <c>UseOpenTelemetry()</c> or
    /// other middleware that should not be measured, before the ones that should (each call through it is one request).
    /// </summary>
    /// <param name="builder">The pipeline.</param>
    /// <param name="recorder">The recorder; null takes the one registered in the service provider the pipeline is built
    /// with (<c>services.AddUsageAnalytics(configuration)</c>).</param>
    /// <param name="configure">Adjusts the attribution and the clock; optional.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="InvalidOperationException">At build time: no recorder was passed and the service provider has none.</exception>
    public static ChatClientBuilder UseUsageAnalytics(this ChatClientBuilder builder, UsageRecorder? recorder = null, Action<UsageAnalyticsChatClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Use((inner, services) =>
        {
            var options = new UsageAnalyticsChatClientOptions();
            configure?.Invoke(options);
            options.TimeProvider ??= services.GetService<TimeProvider>();
            var resolved = recorder ?? services.GetService<UsageRecorder>()
                ?? throw new InvalidOperationException(
                    "UseUsageAnalytics() found no UsageRecorder: call services.AddUsageAnalytics(configuration) and build the chat client from that " +
                    "service provider (services.AddChatClient(...).UseUsageAnalytics()), or pass the recorder: UseUsageAnalytics(recorder).");
            return new UsageAnalyticsChatClient(inner, resolved, options);
        });
    }
}

namespace Analytics.Actors;

/// <summary>
/// The <c>ActorRegistry</c> key of the actor that answers <see cref="Analytics.Contracts.UsageQueries.GetStats"/>
/// (<c>registry.Get&lt;AnalyticsCoordinator&gt;()</c>, or inject <c>IRequiredActor&lt;AnalyticsCoordinator&gt;</c>).
/// Most code reads stats through <see cref="IUsageStats"/> instead; this is for actors that want to Ask themselves.
/// </summary>
public sealed class AnalyticsCoordinator
{
    private AnalyticsCoordinator()
    {
    }
}

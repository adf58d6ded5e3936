using System.Diagnostics.Metrics;
using Analytics.Tests.Pump;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Analytics.Tests.Metrics;

/// <summary>A real pump, plus a meter factory for the meters the specs start on its recorder.</summary>
public abstract class MeterHarness(ITestOutputHelper output) : PumpHarness(output)
{
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();

    protected IMeterFactory Factory => _services.GetRequiredService<IMeterFactory>();

    protected override void AfterAll()
    {
        _services.Dispose();
        base.AfterAll();
    }
}

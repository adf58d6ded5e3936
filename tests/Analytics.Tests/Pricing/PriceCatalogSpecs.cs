using System.Text;
using Analytics.Actors;
using Analytics.Actors.Pricing;
using Analytics.Contracts;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Xunit;
using static Analytics.Tests.Pricing.PricingTestSupport;

namespace Analytics.Tests.Pricing;

/// <summary>The reloading catalog: layers, start failures, atomic swaps, and reload of good, bad and removed files.</summary>
public sealed class PriceCatalogSpecs
{
    private static readonly TimeSpan QuickReload = TimeSpan.FromMilliseconds(50);

    private static string OwnFile(params (string Model, long Input, long Output)[] models)
    {
        var sb = new StringBuilder("{\"format\": \"analytics-prices/1\", \"effective_date\": \"2026-02-01\", \"models\": {");
        for (var i = 0; i < models.Length; i++)
        {
            var (model, input, output) = models[i];
            sb.Append(i == 0 ? "" : ", ").Append($"\"{model}\": {{\"input\": {input}, \"output\": {output}}}");
        }
        return sb.Append("}}").ToString();
    }

    private static string BrokenFile() =>
        """{"format": "analytics-prices/1", "models": {"acme-llm": {"input": 1, "output": 2}, "broken-model": {"input": -40, "output": 2}}}""";

    /// <summary>A price file holding acme-llm at 100/200 and a catalog watching it.</summary>
    private sealed class Watched : IDisposable
    {
        private readonly TempFolder _dir = new();

        public Watched()
        {
            Path = _dir.File("prices.json");
            File.WriteAllText(Path, OwnFile(("acme-llm", 100, 200)));
            Catalog = new PriceCatalog(new PricingOptions { File = Path, ReloadDelay = QuickReload }, Log);
        }

        public string Path { get; }

        public CapturingLogger<PriceCatalog> Log { get; } = new();

        public PriceCatalog Catalog { get; }

        public string Sibling(string name) => _dir.File(name);

        public void Dispose()
        {
            Catalog.Dispose();
            _dir.Dispose();
        }
    }

    private static long InputPrice(IPriceCatalog catalog, string model) =>
        catalog.TryGetPrice(model, out var p) ? p.InputMicrosPerMillion : -1;

    [Fact]
    public void Without_file_or_overrides_the_embedded_catalog_is_in_force()
    {
        using var catalog = new PriceCatalog(new PricingOptions());
        Assert.Same(PriceTable.Embedded, catalog.Current);
        Assert.Equal(0, catalog.Version);
        Assert.Null(catalog.FilePath);
        Assert.False(catalog.Reload());
    }

    [Fact]
    public void File_overlays_embedded_and_overrides_overlay_both()
    {
        using var dir = new TempFolder();
        var path = dir.File("prices.json");
        File.WriteAllText(path, OwnFile(("gpt-4o", 2_000_000, 8_000_000), ("acme-llm", 100_000, 300_000), ("acme-pro", 900_000, 2_700_000)));

        using var catalog = new PriceCatalog(new PricingOptions
        {
            File = path,
            ReloadOnChange = false,
            Overrides = { ["acme-pro"] = new PriceOverride { Input = 1_000_000, Output = 3_000_000 } },
        });

        Assert.Equal(2_000_000, InputPrice(catalog, "gpt-4o"));        // file beats embedded
        Assert.Equal(100_000, InputPrice(catalog, "acme-llm"));        // file only
        Assert.Equal(1_000_000, InputPrice(catalog, "acme-pro"));      // override beats file
        Assert.Equal(3_000_000, InputPrice(catalog, "claude-sonnet-4-5")); // embedded only
        Assert.Equal("2026-02-01", catalog.Current.EffectiveDate);
        Assert.Equal(path, catalog.FilePath);
    }

    [Fact]
    public void A_LiteLLM_price_file_wins_over_the_embedded_catalog()
    {
        using var catalog = new PriceCatalog(new PricingOptions { File = LiteLlmPrices, ReloadOnChange = false });

        // The fixture prices claude-3-5-haiku-latest at $1/$5 where the embedded catalog has the snapshot's $0.80/$4: the file wins.
        var expectedHaiku = PricingTestSupport.Price(1_000_000, 5_000_000, 100_000, 1_250_000, provider: "anthropic");
        Assert.True(PriceTable.Embedded.TryGetPrice("claude-3-5-haiku-latest", out var embeddedHaiku));
        Assert.NotEqual(expectedHaiku, embeddedHaiku);
        Assert.True(catalog.TryGetPrice("claude-3-5-haiku-latest", out var haiku));
        Assert.Equal(expectedHaiku, haiku);
        Assert.True(catalog.TryGetPrice("azure/gpt-5", out var gpt5));
        Assert.Equal(PricingTestSupport.Price(1_250_000, 10_000_000, 125_000, provider: "openai"), gpt5);
        Assert.Equal(1_250_000, InputPrice(catalog, "gemini-2.5-pro")); // not in the fixture: embedded
        Assert.Equal(-1, InputPrice(catalog, "openai/container"));     // per-session pricing only: skipped
    }

    [Fact]
    public void A_bad_file_at_start_throws_naming_the_file_and_the_entry()
    {
        using var dir = new TempFolder();
        var path = dir.File("prices.json");
        File.WriteAllText(path, BrokenFile());

        var e = Assert.Throws<PriceFileException>(() => new PriceCatalog(new PricingOptions { File = path }));
        Assert.Equal($"Price file '{path}', entry \"broken-model\": field \"input\" must be a whole number >= 0 of microdollars per million tokens (got -40)", e.Message);
    }

    [Fact]
    public void A_missing_file_or_a_bad_override_at_start_throws_naming_the_key()
    {
        var missing = Path.Combine(Path.GetTempPath(), "no-such-" + Guid.NewGuid().ToString("N") + ".json");
        var e = Assert.Throws<OptionsValidationException>(() => new PriceCatalog(new PricingOptions { File = missing }));
        Assert.Contains($"Analytics:Pricing:File must name an existing file: the price file '{missing}' does not exist.", e.Message);

        e = Assert.Throws<OptionsValidationException>(() => new PriceCatalog(new PricingOptions { Overrides = { ["m"] = new PriceOverride { Input = 1 } } }));
        Assert.Contains("Analytics:Pricing:Overrides:m:Output is required", e.Message);
    }

    [Fact]
    public void Reload_swaps_only_changed_good_content_and_bumps_the_version_each_time()
    {
        using var dir = new TempFolder();
        var path = dir.File("prices.json");
        File.WriteAllText(path, OwnFile(("acme-llm", 100, 200)));
        var log = new CapturingLogger<PriceCatalog>();
        using var catalog = new PriceCatalog(new PricingOptions { File = path, ReloadOnChange = false }, log);
        var first = catalog.Current;

        Assert.False(catalog.Reload()); // same content
        Assert.Same(first, catalog.Current);
        Assert.Equal(0, catalog.Version);

        File.WriteAllText(path, OwnFile(("acme-llm", 110, 220)));
        Assert.True(catalog.Reload());
        Assert.Equal(1, catalog.Version);
        Assert.Equal(110, InputPrice(catalog, "acme-llm"));

        File.WriteAllText(path, BrokenFile());
        Assert.False(catalog.Reload());
        Assert.Equal(1, catalog.Version);
        Assert.Equal(110, InputPrice(catalog, "acme-llm"));
        Assert.Contains("broken-model", catalog.LastError);
        Assert.Equal(1, log.Count(LogLevel.Error, $"Price file '{path}', entry \"broken-model\""));

        File.WriteAllText(path, OwnFile(("acme-llm", 120, 240)));
        Assert.True(catalog.Reload());
        Assert.Equal(2, catalog.Version);
        Assert.Null(catalog.LastError);
        Assert.Equal(120, InputPrice(catalog, "acme-llm"));

        File.Delete(path);
        Assert.False(catalog.Reload());
        Assert.False(catalog.Reload());
        Assert.Equal(2, catalog.Version);
        Assert.Equal(120, InputPrice(catalog, "acme-llm"));
        Assert.Equal(1, log.Count(LogLevel.Warning, $"Price file {path} was removed")); // said once, not per check
    }

    [Fact]
    public async Task A_changed_file_is_reloaded_without_being_asked()
    {
        using var watched = new Watched();
        var (path, log, catalog) = (watched.Path, watched.Log, watched.Catalog);

        File.WriteAllText(path, OwnFile(("acme-llm", 150, 300), ("acme-mini", 10, 20)));

        await Eventually(() => InputPrice(catalog, "acme-mini") == 10, "the new file's prices");
        Assert.Equal(1, catalog.Version);
        Assert.Equal(150, InputPrice(catalog, "acme-llm"));
        Assert.Equal(2_500_000, InputPrice(catalog, "gpt-4o")); // the embedded layer is still under it
        Assert.True(log.Count(LogLevel.Information, "Reloaded 2 model prices") >= 1);
    }

    [Fact]
    public async Task A_file_replaced_by_rename_is_reloaded()
    {
        using var watched = new Watched();
        var (path, catalog) = (watched.Path, watched.Catalog);

        var staging = watched.Sibling("prices.json.tmp");
        File.WriteAllText(staging, OwnFile(("acme-llm", 170, 340)));
        File.Move(staging, path, overwrite: true);

        await Eventually(() => InputPrice(catalog, "acme-llm") == 170, "the renamed file's prices");
        Assert.Equal(1, catalog.Version);
    }

    [Fact]
    public async Task A_kubernetes_style_link_swap_is_reloaded()
    {
        if (OperatingSystem.IsWindows()) return; // symbolic links need privileges there; ConfigMaps are a Linux affair

        // A ConfigMap volume: prices.json -> ..data/prices.json, ..data -> ..2026_v1; an update swaps ..data atomically.
        using var dir = new TempFolder();
        Directory.CreateDirectory(dir.File("..v1"));
        File.WriteAllText(dir.File("..v1/prices.json"), OwnFile(("acme-llm", 100, 200)));
        Directory.CreateSymbolicLink(dir.File("..data"), "..v1");
        File.CreateSymbolicLink(dir.File("prices.json"), "..data/prices.json");
        using var catalog = new PriceCatalog(new PricingOptions { File = dir.File("prices.json"), ReloadDelay = QuickReload });
        Assert.Equal(100, InputPrice(catalog, "acme-llm"));

        Directory.CreateDirectory(dir.File("..v2"));
        File.WriteAllText(dir.File("..v2/prices.json"), OwnFile(("acme-llm", 180, 360)));
        Directory.CreateSymbolicLink(dir.File("..data_tmp"), "..v2");
        // Kubernetes renames over the old link in one step; .NET cannot, so remove and rename (both are events on "..data").
        Directory.Delete(dir.File("..data"));
        Directory.Move(dir.File("..data_tmp"), dir.File("..data"));

        await Eventually(() => InputPrice(catalog, "acme-llm") == 180, "the swapped link's prices");
        Assert.Equal(1, catalog.Version);
    }

    [Fact]
    public async Task A_bad_file_keeps_the_old_prices_and_logs_the_file_and_the_entry()
    {
        using var watched = new Watched();
        var (path, log, catalog) = (watched.Path, watched.Log, watched.Catalog);

        File.WriteAllText(path, BrokenFile());

        await Eventually(() => catalog.LastError is not null && catalog.LastError.Contains("broken-model"), "the refused reload");
        Assert.Equal(0, catalog.Version);
        Assert.Equal(100, InputPrice(catalog, "acme-llm"));
        Assert.True(log.Count(LogLevel.Error, $"Price file '{path}', entry \"broken-model\": field \"input\" must be") >= 1);

        File.WriteAllText(path, OwnFile(("acme-llm", 130, 260)));
        await Eventually(() => InputPrice(catalog, "acme-llm") == 130, "the fixed file's prices");
        Assert.Equal(1, catalog.Version);
        Assert.Null(catalog.LastError);
    }

    [Fact]
    public async Task A_removed_file_keeps_the_last_good_prices_until_it_is_back()
    {
        using var watched = new Watched();
        var (path, log, catalog) = (watched.Path, watched.Log, watched.Catalog);

        File.Delete(path);

        await Eventually(() => log.Count(LogLevel.Warning, $"Price file {path} was removed") > 0, "the removal warning");
        Assert.Equal(0, catalog.Version);
        Assert.Equal(100, InputPrice(catalog, "acme-llm"));

        File.WriteAllText(path, OwnFile(("acme-llm", 140, 280)));
        await Eventually(() => InputPrice(catalog, "acme-llm") == 140, "the restored file's prices");
        Assert.Equal(1, catalog.Version);
    }

    [Fact]
    public void Readers_always_see_a_whole_snapshot_while_prices_are_swapped()
    {
        using var dir = new TempFolder();
        var path = dir.File("prices.json");
        File.WriteAllText(path, OwnFile(("acme-a", 1, 2), ("acme-b", 1, 2)));
        using var catalog = new PriceCatalog(new PricingOptions { File = path, ReloadOnChange = false });

        var stop = 0;
        string? torn = null;
        var reader = new Thread(() =>
        {
            while (Volatile.Read(ref stop) == 0)
            {
                var snapshot = catalog.Current;
                var a = InputPrice(snapshot, "acme-a");
                var b = InputPrice(snapshot, "acme-b");
                // Each file gives both models one price, so a snapshot mixing two files would show two different prices.
                if (a != b || a < 1) torn = $"acme-a {a}, acme-b {b}";
                if (!catalog.TryGetPrice("acme-a", out _)) torn = "acme-a missing";
            }
        });
        reader.Start();
        for (var i = 2; i < 60; i++)
        {
            File.WriteAllText(path, OwnFile(("acme-a", i, 2), ("acme-b", i, 2)));
            Assert.True(catalog.Reload());
        }
        Volatile.Write(ref stop, 1);
        reader.Join();

        Assert.Null(torn);
        Assert.Equal(58, catalog.Version);
        Assert.Equal(59, InputPrice(catalog, "acme-a"));
    }
}

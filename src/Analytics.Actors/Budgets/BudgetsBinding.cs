using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Primitives;

namespace Analytics.Actors.Budgets;

/// <summary>
/// Binds <c>Analytics:Budgets</c>, whose children are budget names plus the one key <c>Webhook</c>: the configuration
/// binder cannot bind a section where one key is a URL and the others are budgets (with unknown keys treated as errors,
/// it refuses the whole section), so the <c>Analytics</c> section is bound without it and the budgets are bound here,
/// every problem kept for validation to report with its key.
/// </summary>
internal static class BudgetsBinding
{
    /// <summary>The key of the budgets under <c>Analytics</c>.</summary>
    public const string SectionName = "Budgets";

    /// <summary>The <c>Analytics</c> section as the binder should see it: without <c>Budgets</c>.</summary>
    public static IConfigurationSection WithoutBudgets(IConfigurationSection analytics) => new SectionWithout(analytics, SectionName);

    /// <summary>Binds <c>Analytics</c> as the host does: everything but the budgets by the binder (unknown keys are errors), then the budgets.</summary>
    public static AnalyticsOptions Bind(IConfigurationSection analytics)
    {
        var options = new AnalyticsOptions();
        WithoutBudgets(analytics).Bind(options, o => o.ErrorOnUnknownConfiguration = true);
        Bind(analytics.GetSection(SectionName), options.Budgets);
        return options;
    }

    /// <summary>Adds each budget of <paramref name="section"/> to <paramref name="target"/> and takes its webhook.</summary>
    public static void Bind(IConfigurationSection section, BudgetsOptions target)
    {
        foreach (var child in section.GetChildren())
        {
            var isSection = child.GetChildren().Any();
            if (string.Equals(child.Key, BudgetsOptions.WebhookKey, StringComparison.OrdinalIgnoreCase))
            {
                if (isSection) target.BindingProblems.Add((child.Key, "must be a URL, not a section (it is the webhook, so it cannot be a budget name)."));
                else target.Webhook = child.Value;
                continue;
            }
            if (!isSection)
            {
                target.BindingProblems.Add((child.Key, "must be a budget section with Agent, Model or Provider, Window, LimitUsd and optionally Thresholds " +
                                                       $"(got a plain value; the only plain key under Budgets is {BudgetsOptions.WebhookKey})."));
                continue;
            }
            var budget = new BudgetOptions();
            try
            {
                child.Bind(budget, o => o.ErrorOnUnknownConfiguration = true);
            }
            catch (InvalidOperationException e)
            {
                target.BindingProblems.Add((child.Key, $"cannot be read: {Messages(e)} (a budget has Agent, Model, Provider, Window (Hour, Day, Week, Month), " +
                                                       "LimitUsd and Thresholds)."));
                continue;
            }
            target[child.Key] = budget;
        }
    }

    private static string Messages(Exception e)
    {
        var text = e.Message.TrimEnd('.');
        for (var inner = e.InnerException; inner is not null; inner = inner.InnerException)
        {
            if (!text.Contains(inner.Message.TrimEnd('.'), StringComparison.Ordinal)) text += ": " + inner.Message.TrimEnd('.');
        }
        return text.ReplaceLineEndings(" ");
    }

    /// <summary>A section with one child hidden from the binder (it sees neither the key nor its values).</summary>
    private sealed class SectionWithout(IConfigurationSection inner, string hidden) : IConfigurationSection
    {
        private static readonly IConfigurationRoot Empty = new ConfigurationRoot([]);

        public string? this[string key]
        {
            get => IsHidden(key) ? null : inner[key];
            set => inner[key] = value;
        }

        public string Key => inner.Key;

        public string Path => inner.Path;

        public string? Value
        {
            get => inner.Value;
            set => inner.Value = value;
        }

        public IEnumerable<IConfigurationSection> GetChildren() => inner.GetChildren().Where(c => !string.Equals(c.Key, hidden, StringComparison.OrdinalIgnoreCase));

        public IChangeToken GetReloadToken() => inner.GetReloadToken();

        public IConfigurationSection GetSection(string key) => IsHidden(key) ? new ConfigurationSection(Empty, ConfigurationPath.Combine(Path, key)) : inner.GetSection(key);

        private bool IsHidden(string key)
        {
            var first = key.Split(ConfigurationPath.KeyDelimiter, 2)[0];
            return string.Equals(first, hidden, StringComparison.OrdinalIgnoreCase);
        }
    }
}

using Analytics.Benchmarks;
using Analytics.Benchmarks.Infrastructure;
using BenchmarkDotNet.Running;

// Usage (see README.md, "Benchmarks"):
//   dotnet run -c Release --project tests/Analytics.Benchmarks -- --filter '*'            full run
//   dotnet run -c Release --project tests/Analytics.Benchmarks -- --quick                 smoke run, < 3 min
//   dotnet run -c Release --project tests/Analytics.Benchmarks -- --sizes                 ring sizes, no timing
// Any other BenchmarkDotNet switch (--filter, --list flat, --join, ...) is passed through.
var quick = args.Contains("--quick");
if (args.Contains("--sizes"))
{
    Sizes.Print(Console.Out);
    return;
}

var rest = args.Where(a => a != "--quick").ToList();
// Without a filter BenchmarkSwitcher asks on the console; default to everything instead.
if (!rest.Any(a => a is "--filter" or "-f" or "--list" or "--help" or "-h" or "--info" || a.StartsWith("--filter=", StringComparison.Ordinal)))
{
    rest.Add("--filter");
    rest.Add("*");
}

BenchConfig.Quick = quick;
BenchMetrics.Reset();
BenchmarkSwitcher.FromAssembly(typeof(Sizes).Assembly).Run([.. rest], BenchConfig.Create(quick));

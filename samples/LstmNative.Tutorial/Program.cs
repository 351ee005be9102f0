using LstmNative.Tutorial;

// dotnet run --project samples/LstmNative.Tutorial -c Release -- --list | NAME... | all [--quick] [--output-dir DIR]
var names = new List<string>();
bool quick = false;
string outputDir = "tutorial-output";
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--list":
            foreach (var s in TutorialSamples.All)
                Console.WriteLine($"{s.Name,-16} {s.Summary}");
            return 0;
        case "--quick":
            quick = true;
            break;
        case "--output-dir" when i + 1 < args.Length:
            outputDir = args[++i];
            break;
        default:
            names.Add(args[i]);
            break;
    }
}
if (names.Count == 0)
{
    Console.Error.WriteLine("usage: LstmNative.Tutorial --list | NAME... | all [--quick] [--output-dir DIR]");
    return 2;
}
var chosen = names.Contains("all") ? TutorialSamples.All.ToList() : new List<Sample>();
foreach (var name in names.Where(n => n != "all"))
{
    var sample = TutorialSamples.Find(name);
    if (sample is null)
    {
        Console.Error.WriteLine($"no sample named '{name}'; --list shows them");
        return 2;
    }
    chosen.Add(sample);
}
var context = new SampleContext(Console.Out, quick, outputDir);
foreach (var sample in chosen)
{
    Console.WriteLine($"== {sample.Name}: {sample.Summary}");
    try
    {
        sample.Run(context);
    }
    catch (SampleFailedException e)
    {
        Console.Error.WriteLine($"{sample.Name} failed its check: {e.Message}");
        return 1;
    }
}
return 0;

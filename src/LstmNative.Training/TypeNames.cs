using System.Text;

namespace LstmNative.Training;

/// <summary>Type names as C# writes them, for messages: <c>Lstm&lt;Single&gt;</c> → <c>Lstm</c>, not <c>Lstm`1</c>.</summary>
public static class TypeNames
{
    /// <summary>
    /// The type's name without the generic arity suffix (<c>Lstm`1</c> → <c>Lstm</c>); with
    /// <paramref name="withArguments"/>, followed by its type arguments (<c>Lstm&lt;Single&gt;</c>).
    /// </summary>
    public static string Friendly(Type type, bool withArguments = false)
    {
        ArgumentNullException.ThrowIfNull(type);
        string name = type.Name;
        int tick = name.IndexOf('`', StringComparison.Ordinal);
        if (tick >= 0)
            name = name[..tick];
        if (!withArguments || !type.IsGenericType)
            return name;
        var sb = new StringBuilder(name).Append('<');
        var args = type.GetGenericArguments();
        for (int i = 0; i < args.Length; i++)
            sb.Append(i == 0 ? "" : ", ").Append(Friendly(args[i], withArguments: true));
        return sb.Append('>').ToString();
    }
}

namespace Hearth.Engine.Tests.Structured;

/// <summary>The JSON schemas every structured-output test runs (nested objects, arrays, enums with quotes and
/// backslashes, anyOf/oneOf/allOf, $ref recursion, patterns, formats, number ranges, prefixItems). Strings and
/// arrays are bounded so that noise (random weights) must end: only the grammar can make it valid.</summary>
internal static class SchemaSuite
{
    public static readonly (string Name, string Schema)[] All =
    [
        ("person", """{"type":"object","properties":{"name":{"type":"string","maxLength":12},"age":{"type":"integer","minimum":0,"maximum":120},"email":{"type":"string","format":"email"}},"required":["name","age","email"],"additionalProperties":false}"""),
        ("escaped-enum", """{"type":"string","enum":["a\"b","c\\d","plain","日本","tab\there"]}"""),
        ("const-object", """{"const":{"k":[1,"x\"y",null],"z":true}}"""),
        ("nested", """{"type":"object","properties":{"a":{"type":"object","properties":{"b":{"type":"object","properties":{"c":{"type":"boolean"}},"required":["c"],"additionalProperties":false}},"required":["b"],"additionalProperties":false}},"required":["a"],"additionalProperties":false}"""),
        ("int-array", """{"type":"array","items":{"type":"integer","minimum":-50,"maximum":50},"minItems":1,"maxItems":4}"""),
        ("tuple", """{"type":"array","prefixItems":[{"type":"string","maxLength":5},{"type":"integer"},{"type":"boolean"}],"items":false,"minItems":2}"""),
        ("any-of", """{"anyOf":[{"type":"string","maxLength":6},{"type":"integer","minimum":-9,"maximum":9},{"type":"null"}]}"""),
        ("one-of-shapes", """{"oneOf":[{"type":"object","properties":{"kind":{"const":"circle"},"r":{"type":"number","minimum":0,"maximum":10}},"required":["kind","r"],"additionalProperties":false},{"type":"object","properties":{"kind":{"const":"square"},"side":{"type":"integer","minimum":1,"maximum":9}},"required":["kind","side"],"additionalProperties":false}]}"""),
        ("linked-list", """{"$defs":{"node":{"type":"object","properties":{"value":{"type":"integer","minimum":0,"maximum":99},"next":{"$ref":"#/$defs/node"}},"required":["value"],"additionalProperties":false}},"$ref":"#/$defs/node"}"""),
        ("tree", """{"type":"object","properties":{"label":{"type":"string","maxLength":3},"children":{"type":"array","items":{"$ref":"#"},"maxItems":2}},"required":["label"],"additionalProperties":false}"""),
        ("pattern", """{"type":"object","properties":{"code":{"type":"string","pattern":"^[A-Z]{2}-\\d{3}$"},"quote":{"type":"string","pattern":"^\"[a-z]{1,4}\\\\$"}},"required":["code","quote"],"additionalProperties":false}"""),
        ("formats", """{"type":"object","properties":{"day":{"type":"string","format":"date"},"at":{"type":"string","format":"date-time"},"id":{"type":"string","format":"uuid"},"t":{"type":"string","format":"time"}},"required":["day","at","id","t"],"additionalProperties":false}"""),
        ("net-formats", """{"type":"object","properties":{"mail":{"type":"string","format":"email"},"ip":{"type":"string","format":"ipv4"},"site":{"type":"string","format":"uri"}},"required":["mail","ip","site"],"additionalProperties":false}"""),
        ("open-interval", """{"type":"number","exclusiveMinimum":0,"exclusiveMaximum":1}"""),
        ("number-range", """{"type":"array","items":{"type":"number","minimum":-2.5,"maximum":7.25},"minItems":3,"maxItems":3}"""),
        ("bool-or-null", """{"type":["boolean","null"]}"""),
        ("all-of", """{"allOf":[{"type":"object","properties":{"a":{"type":"integer","minimum":1,"maximum":5}},"required":["a"]},{"properties":{"b":{"type":"string","maxLength":4}},"required":["b"]}]}"""),
        ("optional-props", """{"type":"object","properties":{"a":{"type":"boolean"},"b":{"type":"integer","minimum":0,"maximum":3},"c":{"type":"string","maxLength":2}},"required":["b"],"additionalProperties":false}"""),
        ("short-unicode", """{"type":"string","minLength":1,"maxLength":3}"""),
        ("objects-array", """{"type":"array","items":{"type":"object","properties":{"id":{"type":"integer","minimum":1,"maximum":999},"tags":{"type":"array","items":{"enum":["red","green","blue"]},"maxItems":3}},"required":["id"],"additionalProperties":false},"maxItems":3}"""),
        ("negative-range", """{"type":"integer","minimum":-1000000,"maximum":-5}"""),
        ("tool-args", """{"type":"object","properties":{"location":{"type":"string","maxLength":20,"description":"City"},"unit":{"type":"string","enum":["celsius","fahrenheit"]}},"required":["location","unit"]}"""),
        ("nested-arrays", """{"type":"array","items":{"type":"array","items":{"type":"boolean"},"maxItems":3},"maxItems":3}"""),
        ("nullable-ref", """{"$defs":{"color":{"enum":["r","g","b"]}},"type":"object","properties":{"fg":{"anyOf":[{"$ref":"#/$defs/color"},{"type":"null"}]},"bg":{"$ref":"#/$defs/color"}},"required":["fg","bg"],"additionalProperties":false}"""),
    ];
}

namespace Hearth.Bench.Workloads;

/// <summary>Common short English words. With a leading space, each is a single token in the Llama 2/3,
/// Mistral, Qwen and GPT vocabularies, which is why "one word ≈ one token" is a fair approximation when no
/// tokenizer is given.</summary>
internal static class WordList
{
    public static readonly string[] Words =
    [
        "the", "of", "and", "to", "in", "is", "was", "for", "on", "that", "with", "as", "by", "at", "from", "his",
        "it", "an", "are", "were", "which", "be", "this", "has", "or", "had", "not", "but", "first", "one", "their", "its",
        "new", "after", "who", "they", "have", "her", "she", "two", "been", "other", "when", "there", "all", "during", "into", "school",
        "time", "may", "years", "more", "most", "only", "over", "city", "some", "world", "would", "where", "later", "up", "such", "used",
        "many", "can", "state", "about", "national", "out", "known", "university", "united", "then", "made", "also", "between", "under", "water", "people",
        "house", "light", "river", "music", "family", "small", "large", "began", "while", "early", "place", "long", "game", "team", "said", "well",
        "part", "called", "film", "south", "north", "west", "east", "both", "these", "day", "back", "work", "life", "war", "high", "three",
        "four", "five", "line", "name", "second", "group", "power", "book", "number", "year", "around", "public", "same", "days", "each", "home",
        "king", "church", "road", "park", "body", "field", "love", "sound", "green", "black", "white", "red", "blue", "old", "young", "town",
        "land", "sea", "fire", "horse", "door", "table", "paper", "story", "friend", "child", "tree", "bird",
    ];
}

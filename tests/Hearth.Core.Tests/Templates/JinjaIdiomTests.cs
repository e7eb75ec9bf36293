namespace Hearth.Core.Tests.Templates;

/// <summary>Idioms of real chat templates (content parts, tool schemas, reasoning splits, reversed walks),
/// each expected string printed by Python jinja2 3.1 for the same template and this conversation.</summary>
public class JinjaIdiomTests
{
    private const string Context = """
        {"messages": [{"role": "system", "content": "S"}, {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "image"}]}, {"role": "assistant", "content": "<think>x</think>\n\nhello", "tool_calls": [{"type": "function", "function": {"name": "f", "arguments": {"b": 1, "a": [1.5, "é"]}}}]}], "tools": [{"type": "function", "function": {"name": "f", "description": "d", "parameters": {"type": "object", "properties": {"b": {"type": "integer"}}}}}]}
        """;

    [Theory]
    [InlineData("{{ (messages|selectattr('role','equalto','system')|list|first).content }}", "S")]
    [InlineData("{{ messages[2].content.split('</think>')[-1].lstrip('\\n') }}", "hello")]
    [InlineData("{% for k, v in tools[0].function.parameters.properties.items() %}{{ k }}:{{ v.type }}{% endfor %}", "b:integer")]
    [InlineData("{% for c in messages[1].content %}{% if c.type == 'text' %}{{ c.text }}{% else %}<{{ c.type }}>{% endif %}{% endfor %}", "a<image>")]
    [InlineData("{{ messages[1].content is string }} {{ messages[1].content is not string }} {{ messages[1].content is iterable }}", "False True True")]
    [InlineData("{{ messages[1].content|map(attribute='text', default='?')|join('') }}", "a?")]
    [InlineData("{{ tools|map(attribute='function')|map(attribute='name')|list }}", "['f']")]
    [InlineData("{% for i in range(messages|length - 1, -1, -1) %}{{ messages[i].role[:1] }}{% endfor %}", "aus")]
    [InlineData("{% for m in messages[::-1] %}{{ loop.index0 }}{{ m.role }}{% endfor %}", "0assistant1user2system")]
    [InlineData("{{ messages[2].tool_calls[0].function.arguments|tojson }} {{ messages[2].tool_calls[0].function.arguments }}", "{\"b\": 1, \"a\": [1.5, \"é\"]} {'b': 1, 'a': [1.5, 'é']}")]
    [InlineData("{{ messages[2].tool_calls[0].function|string }}", "{'name': 'f', 'arguments': {'b': 1, 'a': [1.5, 'é']}}")]
    [InlineData("{{ 'a\\nb'|replace('\\n', '\\\\n') }}", "a\\nb")]
    [InlineData("{{ '\\n\\nx\\n'|trim('\\n') }}", "x")]
    [InlineData("{{ {'a': 1, 'b': [1,2],} }}", "{'a': 1, 'b': [1, 2]}")]
    [InlineData("{% set x = '' %}{% for m in messages %}{% set x = x ~ m.role %}{% endfor %}[{{ x }}]", "[]")]
    [InlineData("{% set ns = namespace(found=false, last=-1) %}{% for m in messages %}{% if m.role == 'user' %}{% set ns.found = true %}{% set ns.last = loop.index0 %}{% endif %}{% endfor %}{{ ns.found }}{{ ns.last }}", "True1")]
    [InlineData("{{ messages|map(attribute='role')|join(', ') }}", "system, user, assistant")]
    [InlineData("{{ tools|tojson(indent=2) }}", "[\n  {\n    \"type\": \"function\",\n    \"function\": {\n      \"name\": \"f\",\n      \"description\": \"d\",\n      \"parameters\": {\n        \"type\": \"object\",\n        \"properties\": {\n          \"b\": {\n            \"type\": \"integer\"\n          }\n        }\n      }\n    }\n  }\n]")]
    [InlineData("{{ tools[0]|tojson(ensure_ascii=True) }}", "{\"type\": \"function\", \"function\": {\"name\": \"f\", \"description\": \"d\", \"parameters\": {\"type\": \"object\", \"properties\": {\"b\": {\"type\": \"integer\"}}}}}")]
    [InlineData("{{ messages[0] | length }} {{ messages[0].keys()|list }}", "2 ['role', 'content']")]
    [InlineData("{{ 'x' if messages[1].content is not string else 'y' }}", "x")]
    [InlineData("{% if messages[2].tool_calls is defined and messages[2].tool_calls %}yes{% endif %}", "yes")]
    [InlineData("{{ messages[2].reasoning_content is defined }} {{ messages[2].get('reasoning_content', 'none') }}", "False none")]
    [InlineData("{%- for m in messages -%}\n  {%- if loop.first -%}F{%- endif -%}\n  {{ m.role }}\n{%- endfor -%}", "Fsystemuserassistant")]
    [InlineData("{{ 1.5|string + 'x' }} {{ 10|string|length }} {{ [1,2]|string }}", "1.5x 2 [1, 2]")]
    [InlineData("{{ none|default('x', true) }} {{ none|default('x') }}", "x None")]
    [InlineData("{{ messages|length is divisibleby 3 }} {{ (messages|length) % 2 == 1 }}", "True True")]
    [InlineData("{{ \"{\" ~ '\"name\": ' ~ '\"x\"' ~ \"}\" }}", "{\"name\": \"x\"}")]
    [InlineData("{{ {'x': none, 'y': true}|tojson }}", "{\"x\": null, \"y\": true}")]
    [InlineData("{{ messages[1:]|map(attribute='role')|list }} {{ messages[-1]['role'] }}", "['user', 'assistant'] assistant")]
    [InlineData("{% for t in tools %}{{ t.function.parameters|tojson(separators=(',', ':')) }}{% endfor %}", "{\"type\":\"object\",\"properties\":{\"b\":{\"type\":\"integer\"}}}")]
    [InlineData("{{ '<think>' in messages[2].content }} {{ messages[2].content.find('</think>') }}", "True 8")]
    [InlineData("{{ messages[2].content.split('</think>')[0].rstrip('\\n').split('<think>')[-1].lstrip('\\n') }}", "x")]
    [InlineData("{{ 'abc'.upper().lower().title() }} {{ 'A,B'.lower().split(',') }}", "Abc ['a', 'b']")]
    [InlineData("{{ messages[0].content + '\\n\\n' if messages[0].role == 'system' else '' }}", "S\n\n")]
    [InlineData("{% macro render(x, indent=0) %}{% if x is mapping %}{% for k, v in x.items() %}{{ ' ' * indent }}{{ k }}:\n{{ render(v, indent + 2) }}{% endfor %}{% else %}{{ ' ' * indent }}{{ x }}\n{% endif %}{% endmacro %}{{ render(tools[0].function.parameters) }}", "type:\n  object\nproperties:\n  b:\n    type:\n      integer\n")]
    [InlineData("{{ [1,2,3]|batch(2)|list }}", "[[1, 2], [3]]")]
    [InlineData("{{ 'abc'|center(7) }}", "  abc  ")]
    [InlineData("{{ 'hello world foo'|truncate(9) }}", "hello...")]
    [InlineData("{% for a in [1,2] %}{% for b in [3] %}{{ loop.depth }}{% endfor %}{% endfor %}", "11")]
    [InlineData("{{ {'a':1}|items|list }}", "[('a', 1)]")]
    [InlineData("{{ x|default([])|length }}", "0")]
    [InlineData("{{ 3 > 2 and 'y' or 'n' }} {{ not messages }} {{ messages and messages[0].role }}", "y False system")]
    [InlineData("{{ [1,2,3]|batch(2)|list }}{{ [1,2,3]|batch(2, 0)|list }}", "[[1, 2], [3]][[1, 2], [3, 0]]")]
    [InlineData("{{ 'abc'|center(7) }}|{{ 'ab'|center(7) }}|{{ 'abc'|center(8) }}|{{ 'ab'|center(8) }}", "  abc  |   ab  |  abc   |   ab   ")]
    [InlineData("{{ 'hello world foo'|truncate(9) }}|{{ 'hello world foo'|truncate(9, true) }}|{{ 'hello'|truncate(3) }}|{{ 'hello world foo bar baz'|truncate(12, false, '>', 0) }}", "hello...|hello ...|hello|hello>")]
    public void RendersLikeJinja2(string template, string expected) => Assert.Equal(expected, JinjaLanguageTests.Render(template, Context));
}

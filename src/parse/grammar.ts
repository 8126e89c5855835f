// Generated from grammar/nn.ohm by `npm run grammar` (scripts/grammar.ts): edit the grammar, not
// this file. The parser reads the grammar from here, so it needs no file system.
export const grammarSource = `// The .nn language: blocks (reusable layers) and models, one straight-line statement per line.
// Newlines end statements, so \`space\` skips blanks and comments but not "\\n". The parser turns
// a newline inside brackets, or before a line that starts with \`|>\`, into "\\x0B" first: a blank.
NN {
  Program = Decl*

  Decl = Model  -- model
       | Block  -- block
       | Sep    -- sep

  Model = kw<"model"> ident Sep* "{" Body "}"
  Block = kw<"block"> ident "(" ListOf<ident, ","> ")" Sep* "{" Body "}"

  Body = Sep* (Stmt End)*
  End = Sep+      -- sep
      | &"}"      -- close

  Stmt = kw<"input"> ident ":" Type                 -- input
       | kw<"target"> ident ":" Type                -- target
       | kw<"param"> ident ":" Type ("=" Expr)?     -- param
       | kw<"output"> NonemptyListOf<name, ",">     -- output
       | kw<"return"> Expr                          -- return
       | kw<"loss"> "=" Expr                        -- loss
       | kw<"optimizer"> "=" Expr                   -- optimizer
       | kw<"metric"> "=" Expr                      -- metric
       | ident "=" Expr                             -- assign

  Type = kw<"scalar">                  -- scalar
       | "[" ListOf<Expr, ","> ","? "]"     -- dims

  // lists may end with a comma; precedence, lowest first: |>, + -, * / @, unary -, ^ (right-associative)
  Expr = Expr "|>" PipeTarget   -- pipe
       | Sum                    -- base

  PipeTarget = ident "(" ListOf<Arg, ","> ","? ")"  -- call
             | ident                           -- name

  Sum = Sum "+" Product   -- add
      | Sum "-" Product   -- sub
      | Product           -- base

  Product = Product "*" Unary   -- mul
          | Product "/" Unary   -- div
          | Product "@" Unary   -- matmul
          | Unary               -- base

  Unary = "-" Unary   -- neg
        | Power       -- base

  Power = Primary "^" Unary   -- pow
        | Primary             -- base

  Primary = "(" Expr ")"                    -- paren
          | "[" ListOf<Expr, ","> ","? "]"       -- list
          | ident "(" ListOf<Arg, ","> ","? ")"  -- call
          | number                          -- number
          | name                            -- name

  Arg = ident ":" Expr   -- named
      | Expr             -- positional

  Sep (a newline or \`;\`) = "\\n"  -- newline
                         | ";"   -- semicolon

  name (a name) = ident ("." ident)*
  ident (an identifier) = identStart identPart*
  identStart = letter  -- letter
             | "_"     -- underscore
  identPart = alnum    -- alnum
            | "_"      -- underscore
  kw<word> = word ~identPart

  number (a number) = digit+ fraction? exponent? ~identStart
  fraction = "." digit+
  exponent = exponentMark sign? digit+
  exponentMark = "e"  -- lower
               | "E"  -- upper
  sign = "+"  -- plus
       | "-"  -- minus

  space := blank | comment
  blank = " "     -- space
        | "\\t"    -- tab
        | "\\r"    -- cr
        | "\\x0B"  -- continuation
        | "\\uFEFF" -- bom
  comment = "#" (~eol any)*    -- hash
          | "//" (~eol any)*   -- slashes
  eol = "\\n"    -- newline
      | "\\x0B"  -- continuation
}
`;

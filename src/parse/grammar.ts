// Generated from grammar/nn.ohm by `npm run grammar` (scripts/grammar.ts): edit the grammar, not
// this file. The parser reads the grammar from here, so it needs no file system.
export const grammarSource = `// The .nn language: blocks (reusable layers) and models, one straight-line statement per line.
// Newlines end statements, so \`space\` skips blanks and comments but not "\\n". Before matching, the
// parser turns a newline that does not end a statement into "\\x0B", a blank: one inside brackets,
// one before a line that starts with \`|>\`, and one after a line that ends in a binary operator
// (\`+ - * / @ ^ |>\`) or a comma. A vertical tab written in the file becomes a space, so that in the
// text matched "\\x0B" is always a line end, and a comment ends exactly where its line does.
//
// \`Program\` is the whole file. The parser (src/parse/outline.ts) cuts a file at its statement
// boundaries and matches each piece with the rule for it (\`Head\`, \`Stmt\`, and \`Expr\` for the parts
// of very long or very deeply nested expressions, which stand in as a \`hole\`), so that every
// statement's first syntax error is reported and the time to parse grows with the file's length.
// The tests check that the cut parse and \`Program\` accept the same files.
//
// The matching itself is done by closures that src/parse/fastmatch.ts compiles at load time from
// this grammar's rules as Ohm reads them (the same PEG, blanks skipped where Ohm skips them, Ohm's
// tree); a piece it does not match, or any construct it does not implement, goes to Ohm, whose
// failed match gives the error. Ohm stays the reference: test/parse-fast.test.ts compares the two.
NN {
  Program = Decl*

  Decl = Head Sep* "{" Body "}"  -- decl
       | Sep                     -- sep

  Head = kw<"model"> ident                              -- model
       | kw<"block"> ident "(" ListOf<ident, ","> ")"   -- block

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

  Type = kw<"scalar">                               -- scalar
       | "[" ListOf<Expr, ","> ","? "]" kw<"int">   -- ints
       | "[" ListOf<Expr, ","> ","? "]"             -- dims

  // lists may end with a comma; precedence, lowest first: |>, + -, * / @, unary -, ^
  // (right-associative). The binary operators of one level are a list, folded left to right.
  Expr = Sum PipeTail*

  PipeTail = "|>" PipeTarget

  PipeTarget = ident "(" ListOf<Arg, ","> ","? ")"  -- call
             | ident                                -- name

  Sum = Product SumTail*

  SumTail = "+" Product   -- add
          | "-" Product   -- sub

  Product = Unary ProductTail*

  ProductTail = "*" Unary   -- mul
              | "/" Unary   -- div
              | "@" Unary   -- matmul

  // (alternatives without an action of their own have no case name: each would be one more rule
  // application for every operand)
  Unary = "-" Unary   -- neg
        | Power

  Power = Primary "^" Unary   -- pow
        | Primary

  Primary = "(" Expr ")"                          -- paren
          | "[" ListOf<Expr, ","> ","? "]"        -- list
          | ident "(" ListOf<Arg, ","> ","? ")"   -- call
          | number
          | string
          | name
          | hole

  Arg = ident ":" Expr   -- named
      | Expr             -- positional

  Sep (a newline or \`;\`) = "\\n"  -- newline
                         | ";"   -- semicolon

  // A part of the expression parsed on its own (src/parse/nesting.ts); never in a source file.
  hole = "\\x01"

  // (the character classes are written out, not applied as rules: a rule application per
  // character is most of the time a match takes; Ohm's \`letter\` and \`alnum\`, several applications
  // each, are tried only past ASCII, \`~"\\x00".."\\x7F"\`, where the written-out classes said all)
  name (a name) = ident ("." ident)*
  ident (an identifier) = identStart ("a".."z" | "A".."Z" | "0".."9" | "_" | ~"\\x00".."\\x7F" alnum)*
  identStart = ("a".."z" | "A".."Z" | "_" | ~"\\x00".."\\x7F" letter)
  identPart = ("a".."z" | "A".."Z" | "0".."9" | "_" | ~"\\x00".."\\x7F" alnum)
  kw<word> = word ~identPart

  number (a number) = digits ("." digits)? (("e" | "E") ("+" | "-")? digits)? ~identStart
  digits = ("0".."9")+

  // a word in quotes, for the arguments that take one (\`padding: "same"\`); no escapes
  string (a string) = "\\"" (~("\\"" | "\\n" | eol) any)* "\\""

  // (\`space\` is tried at every token: the blanks are terminals, not rules, for the same reason)
  space := " " | "\\t" | "\\r" | "\\x0B" | "\\uFEFF" | comment
  comment = "#" (~eol any)* | "//" (~eol any)*
  eol = "\\n"    -- newline
      | "\\x0B"  -- continuation
}
`;

// The Decree language.  docs/language.md is the reference; this file is the syntax.
//
// Generated into the build directory (see grammar/CMakeLists.txt), never into the source tree.
// The parse tree is turned into Decree's own AST by compiler/syntax/transform_*.cpp; no ANTLR
// type leaves compiler/syntax.
//
// Keywords are English and lower case.  Most are "soft": they may also be used as names
// (`direction: enum { in, out }`, a field called `source`).  Only the words that structure
// expressions and clauses are reserved: and or not if then else when where for true false null.
grammar Decree;

// ------------------------------------------------------------------------------------------
// Files

compilationUnit
    : header? declaration* EOF
    ;

header
    : RULESET qualifiedName headerClause*     # rulesetHeader
    | MODULE qualifiedName                    # moduleHeader
    ;

headerClause
    : TITLE STRING                            # titleClause
    | SOURCE STRING                           # sourceClause
    | VERSION STRING                          # versionClause
    | effective                               # effectiveClause
    | TIMEZONE STRING                         # timezoneClause
    | CURRENCY identifier                     # currencyClause
    ;

effective
    : EFFECTIVE from=DATE_LIT (UNTIL until=DATE_LIT)?
    ;

declaration
    : importDecl
    | layoutDecl
    | tableDecl
    | constDecl
    | letDecl
    | flowDecl
    | ruleDecl
    | exemptDecl
    | decideDecl
    | testDecl
    ;

importDecl
    : IMPORT (STRING | qualifiedName)
    ;

// ------------------------------------------------------------------------------------------
// Layouts, tables, constants, helpers

layoutDecl
    : LAYOUT name=identifier (FROM format=identifier record=STRING?)? layoutOption* '{' (fieldDecl ';'?)* '}'
    ;

layoutOption
    : KEY identifier                          # layoutKeyOption
    | TIME identifier                         # layoutTimeOption
    ;

fieldDecl
    : identifier ':' typeRef fieldOption*
    ;

fieldOption
    : COLUMN STRING                           # columnOption
    | POSITIVE                                # positiveOption
    ;

typeRef
    : ENUM '{' identifier (',' identifier)* ','? '}' optional='?'?                     # enumType
    | SET '<' typeRef '>'                                                               # setType
    | identifier ('(' typeArg (',' typeArg)* ')')? optional='?'?                       # namedType
    ;

typeArg
    : identifier
    | NUMBER
    ;

tableDecl
    : TABLE name=identifier (FROM format=identifier data=STRING?)?
      KEY '(' fieldDecl (',' fieldDecl)* ')'
      (VALUE fieldDecl (',' fieldDecl)*)?
    ;

constDecl
    : CONST identifier (':' typeRef)? '=' (recordLiteral | expr)
    ;

recordLiteral
    : identifier '{' (recordField (',' recordField)* ','?)? '}'
    ;

recordField
    : identifier ':' expr
    ;

letDecl
    : LET identifier '(' param (',' param)* ')' (':' typeRef)? '=' expr
    ;

param
    : name=identifier ':' type=identifier
    ;

// ------------------------------------------------------------------------------------------
// Rules

ruleDecl
    : RULE identifier citation=STRING? effective? (forClause perClause? windowClause? | pathClause) ruleBody ruleTail*
    ;

forClause
    : FOR layout=identifier var=identifier (WHERE expr)?
    ;

perClause
    : PER keyExpr (',' keyExpr)*
    ;

keyExpr
    : expr (AS identifier)?
    ;

windowClause
    : OVER SLIDING duration=expr (ANCHOR anchor=expr)?
    ;

ruleBody
    : unlessClause* (whenClause unlessClause*)? thenClause       # verdictBody
    | REQUIRE expr (ELSE ERROR? message=STRING)?                 # requireBody
    ;

whenClause
    : WHEN expr
    ;

unlessClause
    : UNLESS expr
    ;

thenClause
    : THEN verdict (AND verdict)*
    ;

verdict
    : REPORT identifier (WITHIN NUMBER BUSINESS? unit=identifier (CALENDAR calendar=identifier)?)?  # reportVerdict
    | FLAG identifier message=STRING?                                                               # flagVerdict
    | BLOCK                                                                                         # blockVerdict
    | ALLOW                                                                                         # allowVerdict
    | CLASSIFY attribute=identifier AS value=identifier                                             # classifyVerdict
    ;

ruleTail
    : OVERRIDES ruleRef (',' ruleRef)*                           # overridesTail
    | SUPPRESS kind=identifier (WITH other=identifier)? BECAUSE reason=STRING   # suppressTail
    ;

// ------------------------------------------------------------------------------------------
// Fund flows: how records link into paths across accounts, and rules over those paths.

// `flow transfers for Transaction t where … from t.account_id to t.counterparty_account
//  at t.booked_at amount t.amount`
flowDecl
    : FLOW name=identifier citation=STRING? forClause FROM from=expr TO to=expr AT at=expr AMOUNT amount=expr
    ;

// `for path p through transfers hops 3 to 8 hop within 48 hours hop amount 80% to 100% …`
pathClause
    : FOR PATH var=identifier THROUGH flow=identifier pathOption*
    ;

pathOption
    : HOPS min=expr TO max=expr               # hopsOption
    | HOP WITHIN expr                         # hopWithinOption
    | HOP AMOUNT lo=expr TO hi=expr           # hopAmountOption
    | DISTINCT ACCOUNTS                       # distinctOption
    | MAXIMAL                                 # maximalOption
    | RETURNS TO ORIGIN                       # returnsOption
    ;

exemptDecl
    : EXEMPT identifier citation=STRING? forClause (APPLIES TO ruleRef (',' ruleRef)*)?
      WHEN expr ruleTail*
    ;

// A rule by name: `cash`, a decision's case `risk_tier.high`, or another ruleset's rule by its
// qualified id `cn.pboc.lvtr.cash`.
ruleRef
    : identifier ('.' identifier)*
    ;

decideDecl
    : DECIDE identifier citation=STRING? effective? forClause EXHAUSTIVE? '{' decideCase+ '}' ruleTail*
    ;

decideCase
    : CASE identifier ':' (WHEN expr)? THEN verdict (AND verdict)*
    ;

// ------------------------------------------------------------------------------------------
// Tests

testDecl
    : TEST name=STRING '{' testStatement* '}'
    ;

testStatement
    : GIVEN LIST list=STRING '{' (recordField (',' recordField)* ','?)? '}'                 # givenListStatement
    | GIVEN identifier ('{' (recordField (',' recordField)* ','?)? '}')?                    # givenStatement
    | EXPECT NO? ruleRef (FOR expr (',' expr)*)? (TXNS '[' (STRING (',' STRING)*)? ']')? (DUE due=DATE_LIT)?  # expectStatement
    | EXPECT REJECTED STRING                                                                # expectRejectedStatement
    ;

// ------------------------------------------------------------------------------------------
// Expressions, highest precedence first

expr
    : primary                                                       # primaryExpr
    | expr '.' identifier                                           # memberExpr
    | expr IN currency=IDENT USING table=identifier (ON on=expr)?   # convertExpr
    | '-' expr                                                      # negExpr
    | expr op=('*' | '/') expr                                      # mulExpr
    | expr op=('+' | '-') expr                                      # addExpr
    | expr op=('=' | '!=' | '<' | '<=' | '>' | '>=') expr           # compareExpr
    | expr NOT? IN expr                                             # inExpr
    | expr IS NOT? NULL_LIT                                           # isNullExpr
    | NOT expr                                                      # notExpr
    | expr AND expr                                                 # andExpr
    | expr OR expr                                                  # orExpr
    ;

primary
    : NUMBER unit=IDENT?                                            # numberLiteral
    | PERCENT                                                       # percentLiteral
    | STRING                                                        # stringLiteral
    | DATE_LIT                                                      # dateLiteral
    | TIMESTAMP_LIT                                                 # timestampLiteral
    | (TRUE | FALSE)                                                # boolLiteral
    | NULL_LIT                                                      # nullLiteral
    | LIST STRING                                                   # listLiteral
    | identifier '(' DISTINCT? (expr (',' expr)*)? (WHERE filter=expr)? ')'   # callExpr
    | identifier                                                    # nameExpr
    | '{' (expr (',' expr)* ','?)? '}'                              # setLiteral
    | '(' expr ')'                                                  # parenExpr
    | IF expr THEN expr ELSE expr                                   # ifExpr
    ;

qualifiedName
    : identifier ('.' identifier)*
    ;

identifier
    : IDENT
    | RULESET | MODULE | TITLE | SOURCE | VERSION | EFFECTIVE | UNTIL | TIMEZONE | CURRENCY
    | IMPORT | LAYOUT | FROM | KEY | TIME | COLUMN | POSITIVE | ENUM | SET | TABLE | VALUE
    | CONST | LET | RULE | PER | AS | OVER | SLIDING | ANCHOR | REQUIRE | ERROR | UNLESS
    | REPORT | WITHIN | BUSINESS | CALENDAR | FLAG | BLOCK | ALLOW | CLASSIFY
    | OVERRIDES | SUPPRESS | WITH | BECAUSE | EXEMPT | APPLIES | TO | DECIDE | EXHAUSTIVE | CASE
    | TEST | GIVEN | EXPECT | NO | TXNS | DUE | REJECTED | IN | USING | ON | IS | DISTINCT | LIST
    | FLOW | AT | AMOUNT | PATH | THROUGH | HOPS | HOP | ACCOUNTS | MAXIMAL | RETURNS | ORIGIN
    ;

// ------------------------------------------------------------------------------------------
// Lexer

// Reserved words.
AND: 'and';
OR: 'or';
NOT: 'not';
IF: 'if';
THEN: 'then';
ELSE: 'else';
WHEN: 'when';
WHERE: 'where';
FOR: 'for';
TRUE: 'true';
FALSE: 'false';
NULL_LIT: 'null';

// Soft keywords.
RULESET: 'ruleset';
MODULE: 'module';
TITLE: 'title';
SOURCE: 'source';
VERSION: 'version';
EFFECTIVE: 'effective';
UNTIL: 'until';
TIMEZONE: 'timezone';
CURRENCY: 'currency';
IMPORT: 'import';
LAYOUT: 'layout';
FROM: 'from';
KEY: 'key';
TIME: 'time';
COLUMN: 'column';
POSITIVE: 'positive';
ENUM: 'enum';
SET: 'set';
TABLE: 'table';
VALUE: 'value';
CONST: 'const';
LET: 'let';
RULE: 'rule';
PER: 'per';
AS: 'as';
OVER: 'over';
SLIDING: 'sliding';
ANCHOR: 'anchor';
REQUIRE: 'require';
ERROR: 'error';
UNLESS: 'unless';
REPORT: 'report';
WITHIN: 'within';
BUSINESS: 'business';
CALENDAR: 'calendar';
FLAG: 'flag';
BLOCK: 'block';
ALLOW: 'allow';
CLASSIFY: 'classify';
OVERRIDES: 'overrides';
SUPPRESS: 'suppress';
WITH: 'with';
BECAUSE: 'because';
EXEMPT: 'exempt';
APPLIES: 'applies';
TO: 'to';
DECIDE: 'decide';
EXHAUSTIVE: 'exhaustive';
CASE: 'case';
TEST: 'test';
GIVEN: 'given';
EXPECT: 'expect';
NO: 'no';
TXNS: 'txns';
DUE: 'due';
REJECTED: 'rejected';
IN: 'in';
USING: 'using';
ON: 'on';
IS: 'is';
DISTINCT: 'distinct';
LIST: 'list';
FLOW: 'flow';
AT: 'at';
AMOUNT: 'amount';
PATH: 'path';
THROUGH: 'through';
HOPS: 'hops';
HOP: 'hop';
ACCOUNTS: 'accounts';
MAXIMAL: 'maximal';
RETURNS: 'returns';
ORIGIN: 'origin';

// Literals.  Longest match decides: 2026-03-01 is a date, not 2026 - 3 - 1.
TIMESTAMP_LIT
    : DATE_PART [Tt] DIGIT DIGIT ':' DIGIT DIGIT ':' DIGIT DIGIT ('.' DIGIT+)? ([Zz] | [+-] DIGIT DIGIT ':' DIGIT DIGIT)
    ;
// A timestamp without a UTC offset: reported as an error by the parse driver.
TIMESTAMP_NO_OFFSET
    : DATE_PART [Tt] DIGIT DIGIT ':' DIGIT DIGIT (':' DIGIT DIGIT ('.' DIGIT+)?)?
    ;
DATE_LIT: DATE_PART;
PERCENT: DIGIT+ ('.' DIGIT+)? '%';
NUMBER: DIGIT+ ('_' DIGIT+)* ('.' DIGIT+)?;
STRING: '"' (~["\\\r\n] | '\\' ~[\r\n])* '"';
// A string that reaches the end of its line: reported by the parse driver.
UNTERMINATED_STRING: '"' (~["\\\r\n] | '\\' ~[\r\n])*;

// Names: any letters (Chinese rule names and labels work), digits, underscore.
IDENT: [\p{L}_] [\p{L}\p{M}\p{N}_]*;

LBRACE: '{';
RBRACE: '}';
LPAREN: '(';
RPAREN: ')';
LBRACKET: '[';
RBRACKET: ']';
COMMA: ',';
COLON: ':';
SEMI: ';';
DOT: '.';
EQ: '=';
NE: '!=';
LE: '<=';
GE: '>=';
LT: '<';
GT: '>';
PLUS: '+';
MINUS: '-';
STAR: '*';
SLASH: '/';
QUESTION: '?';

LINE_COMMENT: '//' ~[\r\n]* -> channel(HIDDEN);
BLOCK_COMMENT: '/*' .*? '*/' -> channel(HIDDEN);
// A block comment without its `*/` (its text can contain no `*/`, or BLOCK_COMMENT would be
// the shorter match and this the longer one).
UNTERMINATED_COMMENT: '/*' (~[*] | '*'+ ~[*/])* '*'* EOF;
WS: [ \t\r\n\f\u00A0\u3000\uFEFF]+ -> skip;

// Anything else is one bad character; the parse driver reports it with its location.
BAD_CHAR: .;

fragment DIGIT: [0-9];
fragment DATE_PART: DIGIT DIGIT DIGIT DIGIT '-' DIGIT DIGIT '-' DIGIT DIGIT;

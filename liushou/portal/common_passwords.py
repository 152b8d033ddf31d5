"""Passwords too common to accept, whatever their length: the usual first guesses of
anyone trying an account (and of password-guessing tools), including the favourites of
Chinese users (woaini1314, 5201314 …). Compared without regard to case."""

from __future__ import annotations

_LISTED = """
123456 123456789 12345678 1234567890 12345 1234567 123123 111111 000000 654321 666666
888888 112233 121212 123321 123654 147258 159357 1qaz2wsx 1q2w3e4r 1q2w3e4r5t 1q2w3e
q1w2e3r4 qwe123 qweasd qweasdzxc qwerty qwerty123 qwerty1234 qwertyuiop qwertyui asdfgh
asdfghjkl asdf1234 asd123 zxcvbnm zxcvbn zxcvbnm123 zaq12wsx password password1
password123 passw0rd p@ssw0rd p@ssword pass1234 admin admin123 admin1234 admin888
admin@123 administrator root root123 toor test test123 test1234 guest user user123
login welcome welcome1 welcome123 letmein iloveyou iloveyou1 iloveyou123 monkey dragon
master sunshine princess football baseball superman batman shadow michael jennifer
trustno1 abc123 abc12345 abc123456 abcd1234 abcd123456 abcdef abcdefg abcdefgh aa123456
aa12345678 aa123456789 a123456 a12345678 a123456789 a1234567890 a1b2c3d4 1234qwer
123qwe 123abc 123456a 123456789a 1234567890a changeme secret default system manager
computer internet football1 hello123 hello whatever freedom qazwsx qazwsxedc 1qaz!qaz
!qaz2wsx woaini woaini1314 woaini520 woaini123 woaini1234 5201314 520520 521521 1314520
13145201314 5201314520 520131400 woaiwojia wodemima mima123 mima1234 mima123456
zhang123 wang123456 li123456 liu123456 chen123456 zhangwei wangwei nihao123 nihao
qq123456 qq123456789 88888888 66666666 11111111 00000000 99999999 12341234 11223344
123456123456 147258369 159753 741852963 963852741 789456123 987654321 9876543210
0123456789 01234567 100200 110110 110120 119119 1111111111 0000000000 8888888888 aaaaaa
aaaaaaaa aaaaaaaaaa abcabc password12 password1234 admin12345 admin123456
administrator1 root1234 root123456 superuser china123 china2008 beijing beijing2008
shanghai zhongguo iloveu iloveyou520 qwer1234 tianya baidu123 taobao123 liushou
liushou123 minzheng minzheng123
"""

COMMON_PASSWORDS: frozenset[str] = frozenset(_LISTED.split())
